"""`flask worker`: delivers the outbox (and runs the scheduled work) until stopped."""

from __future__ import annotations

import click
from flask import current_app

from app.outbox import delivery
from app.outbox.jobs import HUEY, SCHEDULED_WORK, TASKS


@click.command("worker")
@click.option("--burst", is_flag=True, help="Deliver everything that is due, then exit.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--scheduled-work",
    is_flag=True,
    help="Also run the work of expire-holds every minute (instead of cron or a scheduler).",
)
def worker_command(burst: bool, threads: int, scheduled_work: bool) -> None:
    """Deliver queued emails: any number of workers, on any number of machines, share the work.
    Each also sweeps the outbox every minute for retries that are due and lost work.

    With --burst: deliver every message that is due (retries whose time has come included),
    print what happened and exit 0."""
    if burst:
        outcome = delivery.deliver_due()
        click.echo(
            f"Sent {outcome.sent}; {outcome.retrying} to retry later; {outcome.failed} failed."
        )
        return
    huey = current_app.extensions[HUEY]
    current_app.extensions[SCHEDULED_WORK] = scheduled_work
    current_app.extensions[TASKS].sweep()  # whatever waited while no worker ran
    # Poll the SQLite queue at least every second when idle (Redis blocks until a job comes).
    consumer = huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, max_delay=1.0
    )
    consumer.run()


COMMANDS: list = [worker_command]
