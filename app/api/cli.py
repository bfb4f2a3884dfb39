"""`flask --app wsgi create-api-token EMAIL --name NAME --scope read [--scope write]`."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import func, select

from app.api.tokens import SCOPES, TokenError, create_api_token
from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=["read"])
@click.option("--expires-days", type=click.IntRange(min=1), default=None)
def create_api_token_command(
    email: str, name: str, scopes: tuple[str, ...], expires_days: int | None
) -> None:
    """Create an API token for an organiser. The token is printed once, on the last line."""
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No account with the email address {email}.")
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    try:
        row, token = create_api_token(
            user, user, name=name, scopes=list(scopes), expires_at=expires_at
        )
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Token {row.id} ({row.scopes}) for {user.email}; it is shown only once:")
    click.echo(token)


COMMANDS = [create_api_token_command]
