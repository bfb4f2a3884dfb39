"""Applications the host has not decided: one reminder to the hosts before the visit
(HOST_REMINDER_HOURS), then release at the deadline (HOST_DECISION_DEADLINE_HOURS before the
start), the seat going to the waiting list and the delegate getting a courteous email. What
still waits when the visit begins (promoted from the waiting list after the deadline) is
released then, the seat no longer offered on.

Part of the scheduled work (`flask expire-holds`, the workers' periodic task): idempotent and
safe on several machines at once, since every change is a conditional UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.auth.models import User
from app.events.models import Event, EventKind, EventStatus
from app.extensions import db
from app.hosts.models import HostMember, VisitSettings
from app.registration import services as registrations
from app.registration.emails import send_templated, url
from app.registration.models import Registration, RegistrationLog, RegistrationStatus
from app.timeutil import utcnow

S = RegistrationStatus


@dataclass
class DeadlineSummary:
    reminded_visits: int = 0
    hosts_emailed: int = 0
    released: int = 0
    lapsed: int = 0  # released when the visit began


def _hours(name: str) -> timedelta:
    return timedelta(hours=current_app.config[name])


def _awaiting(now: datetime):
    """Undecided applications to visits still to come (published, needing approval)."""
    return (
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .join(VisitSettings, VisitSettings.event_id == Event.id)
        .where(
            Registration.status == S.AWAITING_HOST,
            Event.kind == EventKind.SITE_VISIT,
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
        )
    )


def release_undecided(now: datetime | None = None) -> int:
    """Release the applications still undecided at their visit's deadline. One that began to
    wait for the host after the deadline (promoted from the waiting list by an earlier
    release) is left for the host, or each release would cascade down the waiting list.
    Returns how many this call released (a round racing it may count the same ones)."""
    now = now or utcnow()
    deadline = _hours("HOST_DECISION_DEADLINE_HOURS")
    since = (
        select(RegistrationLog.registration_id, func.max(RegistrationLog.created_at).label("at"))
        .where(RegistrationLog.action == "awaiting_host")
        .group_by(RegistrationLog.registration_id)
        .subquery()
    )
    due = list(
        db.session.execute(
            _awaiting(now)
            .outerjoin(since, since.c.registration_id == Registration.id)
            .where(Event.starts_at <= now + deadline)
            .add_columns(Event.starts_at, since.c.at)
            .order_by(Registration.id)
        ).all()
    )
    released = 0
    for registration, starts_at, waiting_since in due:
        if waiting_since is not None and waiting_since > starts_at - deadline:
            continue
        registrations.release_registration(
            registration,
            None,
            reason="the host did not decide before the deadline",
            now=now,
            email_kind="host_undecided",
        )
        if registration.status == S.CANCELLED and registration.cancelled_at == now:
            released += 1
    return released


def release_at_start(now: datetime | None = None) -> int:
    """Release the applications still waiting for the host once their visit has begun: those
    promoted from the waiting list after the deadline, which `release_undecided` leaves to the
    host until then (and any an earlier round missed). The delegate gets a courteous email;
    nobody else is offered the seat, the visit being under way. Returns how many this call
    released."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == S.AWAITING_HOST,
                Event.kind == EventKind.SITE_VISIT,
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at <= now,
            )
            .order_by(Registration.id)
        ).scalars()
    )
    released = 0
    for registration in due:
        registrations.release_registration(
            registration,
            None,
            reason="the host had not decided when the visit began",
            now=now,
            email_kind="host_lapsed",
            promote=False,
        )
        if registration.status == S.CANCELLED and registration.cancelled_at == now:
            released += 1
    return released


def remind_hosts(now: datetime | None = None, summary: DeadlineSummary | None = None) -> int:
    """Once per visit: email its hosts how many applications still wait for them, when the
    visit is within HOST_REMINDER_HOURS. Returns how many visits were reminded."""
    now = now or utcnow()
    summary = summary or DeadlineSummary()
    pending = _awaiting(now).where(
        Event.starts_at <= now + _hours("HOST_REMINDER_HOURS"),
        VisitSettings.host_reminded_at.is_(None),
    )
    sub = pending.with_only_columns(Registration.event_id).subquery()
    counts = dict(
        db.session.execute(select(sub.c.event_id, func.count()).group_by(sub.c.event_id)).all()
    )
    for event_id, waiting in counts.items():
        claimed = db.session.execute(
            update(VisitSettings)
            .where(VisitSettings.event_id == event_id, VisitSettings.host_reminded_at.is_(None))
            .values(host_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue  # another machine reminded them
        event = db.session.get(Event, event_id)
        summary.hosts_emailed += _email_hosts(event, waiting, now)
        summary.reminded_visits += 1
    return summary.reminded_visits


def _email_hosts(event: Event, waiting: int, now: datetime) -> int:
    hosts = db.session.execute(
        select(User)
        .join(HostMember, HostMember.user_id == User.id)
        .where(
            HostMember.organisation_id == event.host_organisation_id,
            User.organisation_id == HostMember.organisation_id,
            User.active.is_(True),
        )
        .order_by(User.id)
    ).scalars()
    deadline = event.starts_at - _hours("HOST_DECISION_DEADLINE_HOURS")
    sent = 0
    for host in hosts:
        plural = "s await" if waiting != 1 else " awaits"
        send_templated(
            host,
            f"{waiting} application{plural} your decision: {event.title}",
            "hosts/email/undecided",
            "host_undecided_reminder",
            event_id=event.id,
            event=event,
            waiting=waiting,
            deadline=deadline,
            visit_url=url("hosts.visit", slug=event.slug),
        )
        sent += 1
    db.session.flush()
    return sent


def run(now: datetime | None = None) -> DeadlineSummary:
    """The scheduled round: release what is past its deadline or its visit's start, then
    remind the hosts of visits that still have undecided applications."""
    now = now or utcnow()
    summary = DeadlineSummary(released=release_undecided(now), lapsed=release_at_start(now))
    remind_hosts(now, summary)
    db.session.flush()
    return summary
