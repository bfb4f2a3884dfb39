"""`flask --app wsgi add-webhook URL --secret S --event T…` and `deliver-webhooks`."""

from __future__ import annotations

import time

import click

from app.extensions import db
from app.webhooks.delivery import deliver_due
from app.webhooks.models import EVENT_TYPES
from app.webhooks.services import WebhookError, add_webhook_endpoint


@click.command("add-webhook")
@click.argument("url")
@click.option("--secret", required=True, help="Shared with the receiver (16+ characters).")
@click.option("--event", "events", multiple=True, required=True, type=click.Choice(EVENT_TYPES))
def add_webhook_command(url: str, secret: str, events: tuple[str, ...]) -> None:
    """Register a webhook endpoint; prints its id."""
    try:
        endpoint = add_webhook_endpoint(None, url, secret, list(events))
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Webhook {endpoint.id}: {endpoint.url} ({', '.join(endpoint.event_types)})")
    click.echo(str(endpoint.id))


@click.command("deliver-webhooks")
@click.option("--loop", is_flag=True, help="Keep delivering, every --interval seconds.")
@click.option("--interval", default=5, show_default=True, type=click.IntRange(min=1))
def deliver_webhooks_command(loop: bool, interval: int) -> None:
    """Send due webhook deliveries (retries included). Safe on several machines at once."""
    while True:
        outcome = deliver_due()
        if outcome.delivered or outcome.retrying or outcome.failed or not loop:
            click.echo(
                f"Delivered {outcome.delivered}; {outcome.retrying} to retry; "
                f"{outcome.failed} failed."
            )
        if not loop:
            return
        time.sleep(interval)


COMMANDS = [add_webhook_command, deliver_webhooks_command]
