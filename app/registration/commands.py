"""Registration commands (run from cron or as a loop; workers also run the same work)."""

from __future__ import annotations

import time

import click

from app.extensions import db


@click.command("expire-holds")
@click.option("--loop", is_flag=True, help="Keep running, every --interval seconds.")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(min=1))
def expire_holds_command(loop: bool, interval: int) -> None:
    """Release lapsed seat holds and site-visit applications the host left undecided, send
    reminders (to hosts too), fill seats from waiting lists, ask delegates for feedback once
    their event is over, remind businesses whose benchmark runs out within a month, and ask
    assisted businesses for their outcomes.

    Idempotent and safe to run from cron every minute, even on several machines at once."""
    while True:
        try:
            for line in run_scheduled_work():
                click.echo(line)
        except Exception:
            if not loop:
                raise
            click.echo("expire-holds failed; trying again next round", err=True)
        if not loop:
            return
        db.session.remove()
        time.sleep(interval)


def run_scheduled_work() -> list[str]:
    """One round of the scheduled work, committed (rolled back and raised on failure); what
    it did, as lines to show. Also a periodic task of every `flask worker`."""
    from app.benchmark.renewals import send_renewal_reminders
    from app.feedback.invitations import send_feedback_invitations
    from app.hosts import deadlines
    from app.messages.scheduling import send_due_announcements
    from app.outcomes.follow_ups import send_follow_ups
    from app.registration.reminders import expire_holds

    try:
        # First, so that on SQLite its claim is the transaction's first write (see scheduling).
        announced = send_due_announcements()
        hosts = deadlines.run()  # before the holds: a released seat is promoted below
        summary = expire_holds()
        invited = send_feedback_invitations()
        renewals = send_renewal_reminders()
        follow_ups = send_follow_ups()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    lines = [str(summary).capitalize() + "."]
    if announced:
        lines.append(f"Sent {announced} scheduled announcement(s).")
    if hosts.released:
        lines.append(f"Released {hosts.released} site-visit applications left undecided.")
    if hosts.lapsed:
        lines.append(f"Released {hosts.lapsed} site-visit applications undecided at the start.")
    if hosts.reminded_visits:
        lines.append(f"Reminded the hosts of {hosts.reminded_visits} visits to decide.")
    if invited:
        lines.append(f"Asked {invited} delegates for feedback on events just over.")
    if renewals:
        lines.append(f"Reminded {renewals} delegates that their benchmark runs out soon.")
    if follow_ups:
        lines.append(f"Asked {follow_ups} delegates of assisted businesses for outcomes.")
    return lines


COMMANDS: list = [expire_holds_command]
