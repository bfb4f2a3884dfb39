"""A person's own data: a copy of everything Journey holds about them, and erasing it.

Erasing keeps the programme's records whole (attendance, feedback and benchmark figures count
for the funders) but strips everything that identifies the person: the account keeps its row,
under a placeholder name and address, and can never sign in again.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import delete, or_, select, update

from app.auth.models import Role, User
from app.auth.services import AccountError
from app.benchmark.models import BenchmarkResponse
from app.checkin.models import CheckIn, EventStaff, ScanLog
from app.events.models import AgendaSession, Event, SessionStar, Speaker
from app.extensions import db
from app.feedback.models import Feedback
from app.hosts.brief import acceptance_history
from app.hosts.models import VisitAcceptance, VisitAcceptanceLog
from app.outbox.models import FAILED, SENT, OutboxMessage
from app.questions.services import erase_sensitive_answers
from app.registration.models import ENDED, EmailLog, Registration, SessionBooking
from app.timeutil import utcnow

ERASED_NAME = "Deleted account"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _visit_acceptance(a: VisitAcceptance | None, log: list[VisitAcceptanceLog]) -> dict:
    if a is None:
        return {}
    return {
        "site_visit_terms_accepted": {
            "confidentiality_terms_version": a.terms_version,
            "accepted_at": _iso(a.accepted_at),
            "vehicle_registration": a.vehicle_registration or None,
            "every_acceptance": [
                {
                    "confidentiality_terms_version": e.terms_version,
                    "accepted_at": _iso(e.accepted_at),
                }
                for e in log
            ],
        }
    }


def personal_data(user: User) -> dict:
    """Everything about `user` that Journey keeps, as plain JSON-ready values."""
    org = user.organisation
    registrations = (
        db.session.execute(
            select(Registration)
            .where(Registration.user_id == user.id)
            .order_by(Registration.created_at)
        )
        .scalars()
        .all()
    )
    reg_ids = [r.id for r in registrations]
    checkins = db.session.execute(
        select(CheckIn, AgendaSession.title)
        .outerjoin(AgendaSession, AgendaSession.id == CheckIn.session_id)
        .where(CheckIn.registration_id.in_(reg_ids))
        .order_by(CheckIn.checked_in_at)
    ).all()
    bookings = db.session.execute(
        select(SessionBooking, AgendaSession.title)
        .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
        .where(SessionBooking.user_id == user.id)
        .order_by(SessionBooking.created_at)
    ).all()
    feedback = {
        f.registration_id: f
        for f in db.session.execute(select(Feedback).where(Feedback.registration_id.in_(reg_ids)))
        .scalars()
        .all()
    }
    stars = db.session.execute(
        select(AgendaSession.title, AgendaSession.starts_at, Event.title)
        .join(SessionStar, SessionStar.session_id == AgendaSession.id)
        .join(Event, Event.id == AgendaSession.event_id)
        .where(SessionStar.user_id == user.id)
        .order_by(AgendaSession.starts_at)
    ).all()
    # The person's messages by registration or account, never by address: whoever later takes
    # over an address must not see its previous owner's mail.
    about_places = db.session.execute(
        select(EmailLog.subject, EmailLog.kind, EmailLog.created_at).where(
            EmailLog.registration_id.in_(reg_ids)
        )
    ).all()
    about_account = db.session.execute(
        select(OutboxMessage.subject, OutboxMessage.kind, OutboxMessage.created_at).where(
            OutboxMessage.user_id == user.id, OutboxMessage.registration_id.is_(None)
        )
    ).all()
    emails = sorted([*about_places, *about_account], key=lambda e: e.created_at)
    benchmarks = (
        db.session.execute(
            select(BenchmarkResponse)
            .where(BenchmarkResponse.submitted_by_id == user.id)
            .order_by(BenchmarkResponse.created_at)
        )
        .scalars()
        .all()
    )
    speaker = db.session.execute(
        select(Speaker).where(Speaker.user_id == user.id)
    ).scalar_one_or_none()
    acceptances = {
        a.registration_id: a
        for a in db.session.execute(
            select(VisitAcceptance).where(VisitAcceptance.registration_id.in_(reg_ids))
        ).scalars()
    }
    acceptance_log = acceptance_history(acceptances)

    def registration(r: Registration) -> dict:
        answer = feedback.get(r.id)
        return {
            "event": r.event.title,
            "event_starts_at": _iso(r.event.starts_at),
            "ticket_type": r.ticket_type.name,
            "status": r.status,
            "registered_at": _iso(r.created_at),
            "confirmed_at": _iso(r.confirmed_at),
            "cancelled_at": _iso(r.cancelled_at),
            "amount_due_pence": r.amount_due_pence,
            "amount_paid_pence": r.amount_paid_pence,
            "paid_at": _iso(r.paid_at),
            "check_ins": [
                {
                    "where": title or "Entrance",
                    "at": _iso(c.checked_in_at),
                    "undone_at": _iso(c.undone_at),
                }
                for c, title in checkins
                if c.registration_id == r.id
            ],
            "session_bookings": [
                {"session": title, "status": b.status, "booked_at": _iso(b.created_at)}
                for b, title in bookings
                if b.registration_id == r.id
            ],
            "feedback": None
            if answer is None
            else {
                "rating": answer.rating,
                "recommend": answer.recommend,
                "pillars": answer.pillars,
                "actions": answer.actions,
                "comments": answer.comments,
            },
            **_visit_acceptance(acceptances.get(r.id), acceptance_log.get(r.id, [])),
        }

    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "name": user.name,
            "email": user.email,
            "job_title": user.job_title,
            "role": user.role,
            "created_at": _iso(user.created_at),
            "personal_calendar_feed": user.calendar_token is not None,
            "business": None
            if org is None
            else {"name": org.name, "companies_house_number": org.companies_house_number},
        },
        "registrations": [registration(r) for r in registrations],
        "starred_sessions": [
            {"event": event, "session": title, "starts_at": _iso(starts)}
            for title, starts, event in stars
        ],
        "benchmarks_you_worked_on": [
            {
                "status": b.status,
                "started_at": _iso(b.created_at),
                "submitted_at": _iso(b.submitted_at),
                "overall_score": b.overall_score,
                "band": b.band,
                "results": url_for("benchmark.results", public_id=b.public_id, _external=True)
                if b.status == "submitted"
                else None,
            }
            for b in benchmarks
        ],
        "speaker_profile": None
        if speaker is None
        else {
            "name": speaker.name,
            "job_title": speaker.job_title,
            "organisation": speaker.organisation,
            "bio": speaker.bio,
            "links": speaker.links,
            "page": url_for("speakers.detail", slug=speaker.slug, _external=True),
        },
        "emails_sent_to_you": [
            {"subject": subject, "kind": kind, "sent_at": _iso(sent)}
            for subject, kind, sent in emails
        ],
    }


def places_blocking_erasure(user: User, now: datetime | None = None) -> list[Registration]:
    """Live registrations for events that have not ended: they must be cancelled (and any
    payment settled) before the account can go, so no seat or payment is left dangling."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.user_id == user.id,
                Registration.status.not_in(ENDED),
                Event.ends_at > now,
            )
            .order_by(Event.starts_at)
        ).scalars()
    )


def erase_account(user: User, password: str, now: datetime | None = None) -> None:
    """Delete what identifies `user`, keeping anonymous records. Raises AccountError, having
    changed nothing, when the password is wrong or something must be settled first."""
    if not user.check_password(password):
        raise AccountError("That password is not right.")
    if user.role != Role.DELEGATE:
        raise AccountError(
            "Organiser and door-staff accounts are closed by an administrator: please ask one."
        )
    blocking = places_blocking_erasure(user, now)
    if blocking:
        titles = ", ".join(r.event.title for r in blocking)
        raise AccountError(
            f"You still have a place at {titles}. Cancel it under My tickets first (ask the "
            "organisers about a refund for a paid ticket), then delete your account."
        )

    old_email = user.email
    user.name = ERASED_NAME
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.job_title = None
    user.calendar_token = None
    user.active = False
    user.set_password(secrets.token_urlsafe(32))  # and every session it had stops counting
    db.session.execute(delete(SessionStar).where(SessionStar.user_id == user.id))
    erase_sensitive_answers(user.id)
    db.session.execute(delete(EventStaff).where(EventStaff.user_id == user.id))
    db.session.execute(update(Speaker).where(Speaker.user_id == user.id).values(user_id=None))
    db.session.execute(
        update(EmailLog).where(EmailLog.to == old_email).values(to=user.email, extra={})
    )
    # The outbox keeps that a message was sent, not its text; one not yet sent never will be.
    mine = or_(OutboxMessage.to == old_email, OutboxMessage.user_id == user.id)
    db.session.execute(
        update(OutboxMessage)
        .where(mine, OutboxMessage.status != SENT)
        .values(status=FAILED, last_error="account erased")
    )
    db.session.execute(
        update(OutboxMessage).where(mine).values(to=user.email, raw=None, payload=None)
    )
    # Door screens replay a scan's stored answer, which carries the attendee's name.
    reg_ids = select(Registration.id).where(Registration.user_id == user.id)
    db.session.execute(
        update(VisitAcceptance)
        .where(VisitAcceptance.registration_id.in_(reg_ids))
        .values(vehicle_registration="")
    )
    for log in db.session.execute(
        select(ScanLog).where(ScanLog.registration_id.in_(reg_ids))
    ).scalars():
        if log.response and "name" in log.response:
            log.response = {**log.response, "name": ERASED_NAME}
    db.session.flush()
    current_app.logger.info("Account %s erased at its owner's request", user.id)
