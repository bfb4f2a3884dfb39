"""`flask --app wsgi …` commands: seed-demo, create-user (and each package's own)."""

import importlib

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import AccountError, create_user
from app.extensions import db

# Packages that add commands of their own list them in a COMMANDS list.
COMMAND_MODULES = [
    "app.registration.commands",
    "app.api.cli",
    "app.webhooks.cli",
    "app.outbox.commands",
]


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no events.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo programme (idempotent: a second run changes nothing)."""
    if current_app.config.get("JOURNEY_ENV") == "production":
        # Its logins have published passwords: never in a production database.
        raise click.ClickException(
            "seed-demo refuses to run in production (JOURNEY_ENV=production): the demo "
            "logins have published passwords. Use create-user for real accounts."
        )
    from app.demo import DEMO_LOGINS, seed_demo
    from app.events.models import Event

    if if_empty and db.session.execute(select(Event.id).limit(1)).first() is not None:
        click.echo("Database already has events; demo data not loaded.")
        loaded = False
    else:
        loaded = seed_demo()
        db.session.commit()
        click.echo("Demo programme loaded." if loaded else "Demo programme already loaded.")
    if loaded or db.session.execute(select(User.id).where(User.email == DEMO_LOGINS[0][0])).first():
        click.echo("Demo logins (for trying Journey out only):")
        for email, password, role in DEMO_LOGINS:
            click.echo(f"  {email:<24} {password:<10} {role}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.DELEGATE.value)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None, help="Display name (defaults to the part before @).")
def create_user_command(email: str, role: str, password: str, name: str | None) -> None:
    """Create an account, e.g. the first organiser."""
    try:
        # The operator vouches for the address they typed.
        user = create_user(email, name or email.split("@")[0], password, role=role, verified=True)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).COMMANDS:
            app.cli.add_command(command)
