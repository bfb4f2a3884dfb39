"""Factories for programme outcomes: a programme with targets, events on fixed dates,
admissions at the door or at a session."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.checkin.models import CheckIn
from app.events.models import SessionKind
from app.extensions import db
from app.outcomes.services import ClaimData, ProgrammeData, save_programme, sign_declaration
from app.timeutil import to_utc
from tests.factories import make_event, make_session, organiser

PROGRAMME_START = date(2026, 1, 1)


def make_programme(actor=None, threshold: float = 12, **targets):
    data = ProgrammeData(
        name="Manufacturing Alliance",
        funder="ERDF",
        starts_on=PROGRAMME_START,
        ends_on=date(2030, 12, 31),
        threshold_hours=Decimal(str(threshold)),
        mfa_limit_gbp=315_000,
    )
    defaults = {"jobs_fte": 380, "start_ups": 20, "collaborations": 24, "new_products": 96}
    return save_programme(actor or organiser(), data, {**defaults, **targets})


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A Europe/London wall-clock time as the naive UTC the database holds."""
    return to_utc(datetime.combine(day, time(hh, mm)))


def dated_event(day: date, start_hh: int = 9, hours: float = 8, **kw):
    """An event on a fixed day (nothing here depends on today's date)."""
    event = make_event(**kw)
    event.starts_at = local(day, start_hh)
    event.ends_at = event.starts_at + timedelta(hours=hours)
    db.session.flush()
    return event


def session_at(event, hh: int, mm: int = 0, minutes: int = 60, kind: str = SessionKind.TALK):
    day = event.starts_at.date()
    return make_session(
        event, start_offset=local(day, hh, mm) - event.starts_at, minutes=minutes, kind=kind
    )


def admit(registration, session=None, at: datetime | None = None, staff=None) -> CheckIn:
    event = registration.event
    checkin = CheckIn(
        event_id=registration.event_id,
        registration_id=registration.id,
        session_id=session.id if session else None,
        point_key=f"s{session.id}" if session else "door",
        checked_in_at=at or (session.starts_at if session else event.starts_at),
        staff_id=staff.id if staff else None,
        device="test",
    )
    db.session.add(checkin)
    db.session.flush()
    return checkin


def declare(programme, organisation, actor=None, signed_on: date = date(2026, 2, 1), **kw):
    from tests.factories import make_user

    actor = actor or make_user(organisation=organisation, is_business_admin=True)
    values = {
        "headcount_band": "10-49",
        "turnover_band": "under-2m",
        "subsidies_gbp": 0,
        "consent_to_name": True,
        "signed_name": "Pat Owner",
        "signed_on": signed_on,
        **kw,
    }
    return sign_declaration(actor, programme, organisation, **values)


def claim_data(kind: str = "jobs", **kw) -> ClaimData:
    defaults = {
        "jobs": {"title": "CNC setter", "quantity": Decimal("2.5")},
        "product": {"title": "Sensor housing", "detail": "new_to_market"},
        "collaboration": {"title": "UEA", "detail": "university"},
        "start_up": {},
        "custom": {"quantity": Decimal(1)},
    }[kind]
    values = {
        "description": "What happened",
        "occurred_on": date(2026, 6, 1),
        **defaults,
        **kw,
    }
    return ClaimData(kind=kind, **values)
