"""The door: who may scan where, redeeming a ticket, undo.

Name search is in `search.py`, assigning door staff in `staff.py`, counts and reports in
`reports.py`, the offline door list in `door_list.py` and offline scans arriving later in
`sync.py`.

Redeeming is one indexed lookup and one conditional write: the admission is an
`INSERT … ON CONFLICT DO NOTHING` against the unique (registration, point) pair, so two
devices scanning the same ticket at the same moment admit it once on any database. The
lookup also reads any admission at that point, so a re-scan (what the door sees most) tries
no write but the scan log's; the unique pair still decides every race.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, or_, select, update

from app.auth.models import User
from app.checkin.errors import (  # noqa: F401  (re-exported for the views)
    CheckinError,
    CheckinForbidden,
    CheckinInputError,
    CheckinNotFound,
    NonceReplay,
)
from app.checkin.lookup import ticket_lookup
from app.checkin.models import CheckIn, EventStaff, ScanLog
from app.checkin.writes import insert_ignoring_conflict, log_scan
from app.events.models import (
    AgendaSession,
    Event,
    EventKind,
    EventStatus,
    SessionKind,
)
from app.events.published import PublishedSession, published_sessions
from app.extensions import db
from app.hosts.gate import hosted_organisation_id
from app.timeutil import to_local, utcnow

UNDO_WINDOW = timedelta(minutes=5)
DOOR = "door"
DOOR_LABEL = "Entrance"
CODE_PREFIX = "JRN1-"
_CODE_RE = re.compile(r"^JRN1-[A-Z2-7]{16,59}$")
MAX_CODE_LENGTH = 512

# result code → (tone, headline, what the door should do)
RESULTS: dict[str, tuple[str, str, str]] = {
    "ok": ("green", "Admitted", "Welcome them in."),
    "already_checked_in": (
        "red",
        "Already checked in",
        "This ticket has been used. Ask for photo ID and call an organiser if in doubt.",
    ),
    "benchmark_pending": (
        "amber",
        "Needs attention: benchmark not completed",
        "Send them to the help desk to complete the benchmark for their business, then scan again.",
    ),
    "not_paid": (
        "amber",
        "Needs attention: not paid",
        "Send them to the help desk to pay or to have their invoice confirmed, then scan again.",
    ),
    "waitlisted": ("red", "Refused: on the waiting list", "They have no place yet."),
    "cancelled": ("red", "Refused: registration cancelled", "This ticket is no longer valid."),
    "wrong_event": ("red", "Refused: ticket for another event", "This ticket is not for here."),
    "not_booked": (
        "red",
        "Refused: not booked on this session",
        "This session needs a booking. Send them to the help desk if seats are left.",
    ),
    "unknown_code": (
        "red",
        "Refused: not a valid ticket",
        "Ask for their ticket email or search by name.",
    ),
    "event_cancelled": (
        "red",
        "Refused: event cancelled",
        "This event has been cancelled: nobody is admitted. Call an organiser.",
    ),
}

_STATUS_RESULT = {
    "pending_benchmark": "benchmark_pending",
    "pending_payment": "not_paid",
    "waitlisted": "waitlisted",
    "cancelled": "cancelled",
    "refunded": "cancelled",
}


@dataclass
class ScanResult:
    result: str
    name: str | None = None
    ticket_type: str | None = None
    first_checked_in_at: str | None = None  # ISO 8601 UTC, e.g. "2026-09-15T08:12:03Z"
    organisation: str | None = None
    point: str | None = None  # where it was (first) admitted
    checked_in_by: str | None = None
    checked_in_at_local: str | None = None  # "09:12" in the event's time zone
    checkin_id: int | None = None
    other_event: str | None = None
    tone: str = ""
    headline: str = ""
    advice: str = ""

    def __post_init__(self) -> None:
        self.tone, self.headline, self.advice = RESULTS[self.result]

    def as_dict(self) -> dict:
        # Every field is a plain value: a shallow copy, not asdict's deep one (sent per scan).
        return dict(self.__dict__)


# ---------------------------------------------------------------- who may scan


def events_for_staff(actor: User) -> list[Event]:
    """Events the actor may scan at: their assigned events and the site visits they host, or
    every event for organisers."""
    query = select(Event).where(Event.status != "cancelled").order_by(Event.starts_at)
    if not actor.is_organiser:
        assigned = exists().where(EventStaff.event_id == Event.id, EventStaff.user_id == actor.id)
        hosted = hosted_organisation_id(actor)
        if hosted is not None:
            mine = and_(Event.kind == EventKind.SITE_VISIT, Event.host_organisation_id == hosted)
            query = query.where(or_(assigned, mine))
        else:
            query = query.where(assigned)
    return list(db.session.execute(query).scalars())


def hosts_visit(actor: User, event: Event) -> bool:
    """A site visit's hosts are its door staff with no set-up (for that visit only)."""
    if event.kind != EventKind.SITE_VISIT or event.host_organisation_id is None:
        return False
    return hosted_organisation_id(actor) == event.host_organisation_id


# Built once, with bound parameters: every scan runs one of these.
_EVENT_BY_SLUG = select(Event).where(Event.slug == bindparam("slug"))
_EVENT_FOR_STAFF = select(
    Event,
    exists().where(EventStaff.event_id == Event.id, EventStaff.user_id == bindparam("user_id")),
).where(Event.slug == bindparam("slug"))


def event_for_staff(slug: str, actor: User) -> Event:
    """The event with `slug` if the actor may scan there (one query for assigned staff), else
    an error."""
    if actor.is_organiser:
        event = db.session.execute(_EVENT_BY_SLUG, {"slug": slug}).scalar_one_or_none()
        allowed = True
    else:
        row = db.session.execute(_EVENT_FOR_STAFF, {"slug": slug, "user_id": actor.id}).first()
        event, allowed = (row[0], bool(row[1])) if row else (None, False)
        allowed = allowed and actor.has_role("door_staff", "organiser")
    if event is None:
        raise CheckinNotFound("No such event.")
    if not allowed and not hosts_visit(actor, event):
        raise CheckinForbidden("You are not door staff for this event.")
    return event


def checkin_points(event: Event) -> list[PublishedSession]:
    """Sessions that can be a check-in point: the published agenda's sessions, in time order,
    without cancelled ones and breaks (nobody scans people into lunch). One query."""
    return [
        s
        for s in published_sessions(event.id)
        if not s.is_cancelled and s.kind != SessionKind.BREAK
    ]


def point_key_of(session_id: int | None) -> str:
    return DOOR if session_id is None else f"s{session_id}"


def scan_point_session(event: Event, session_id: int | None) -> AgendaSession | None:
    if session_id is None:
        return None
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.event_id != event.id:
        raise CheckinInputError("That session is not part of this event.")
    return session


def normalise_code(code: str) -> str:
    """Codes arrive from cameras, keyboard-wedge scanners and fingers: trim and upper-case."""
    return "".join(code.split()).upper()


# ---------------------------------------------------------------- redeeming


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


@dataclass(frozen=True)
class ScanPoint:
    """Where a scan happens: the event door (session_id None) or one session."""

    session_id: int | None
    key: str
    label: str
    bookable: bool = False


DOOR_POINT = ScanPoint(None, DOOR, DOOR_LABEL)


def redeem_ticket(
    event: Event,
    actor: User,
    *,
    code: str | None = None,
    registration_id: int | None = None,
    session_id: int | None = None,
    nonce: str,
    device: str = "",
    now: datetime | None = None,
) -> ScanResult:
    """Admit the ticket `code` (or, from name search, `registration_id`) at the event door
    (session_id None) or at one session. `event` must come from `event_for_staff(…, actor)`
    (or, on the scan API, its row from `scan_event_for_staff`).

    Every attempt is written to the scan log. A nonce the actor has used before raises
    NonceReplay carrying the first answer: the caller rolls back and returns it, so a retried
    request never admits twice nor anything else.
    """
    if (code is None) == (registration_id is None):
        raise CheckinInputError("Send either a ticket code or a registration.")
    now = now or utcnow()
    session = scan_point_session(event, session_id)
    point = DOOR_POINT
    if session is not None:
        point = ScanPoint(session_id, point_key_of(session_id), session.title, session.is_bookable)

    logged_code = ""
    row = None
    params = {"point_key": point.key, "session_id": session_id}
    if code is not None:
        code = normalise_code(code)
        logged_code = code[:16]  # enough to tell attempts apart, never a usable secret
        if is_ticket_code(code):
            statement = ticket_lookup(by_code=True, bookable=point.bookable)
            row = db.session.execute(statement, {**params, "code": code}).first()
    else:
        statement = ticket_lookup(by_code=False, bookable=point.bookable)
        params.update(registration_id=registration_id, event_id=event.id)
        row = db.session.execute(statement, params).first()

    outcome, reg_id = judge_scan(event, point, row)
    if outcome is None:
        outcome = admit(event, actor, reg_id, point, nonce, device, now, row)
    log_scan_or_replay(scan_log_values(event, actor, point, reg_id, logged_code, outcome,
                                       nonce, device, now))  # fmt: skip
    return outcome


def is_ticket_code(code: str) -> bool:
    """Whether a normalised code has the shape of a ticket's (only those are looked up)."""
    return _CODE_RE.match(code) is not None


def judge_scan(event, point: ScanPoint, row) -> tuple[ScanResult | None, int | None]:
    """What a scan at `point` says, from the ticket lookup's `row` (None: no such ticket) →
    (the answer, or None when the ticket is to be admitted now; the registration to log)."""
    if event.status == EventStatus.CANCELLED:
        # Every scan is refused; name the holder only when the ticket is for this event.
        ours = row is not None and row[1] == event.id
        details = {"name": row[3], "organisation": row[4], "ticket_type": row[5]} if ours else {}
        return ScanResult("event_cancelled", **details), (row[0] if ours else None)
    if row is None:
        return ScanResult("unknown_code"), None  # reveals nothing about any registration
    reg_id, reg_event_id, status, name, org_name, ticket_name, event_title = row[:7]
    if reg_event_id != event.id:
        return ScanResult("wrong_event", other_event=event_title), None
    details = {"name": name, "organisation": org_name, "ticket_type": ticket_name}
    if status in _STATUS_RESULT:
        return ScanResult(_STATUS_RESULT[status], **details), reg_id
    if point.bookable and not row[9]:  # booked on this session
        return ScanResult("not_booked", **details), reg_id
    if row[7] is not None:
        # Admitted here before (the re-scan the door sees most): no write to try.
        return _already(event, point.label, details, row[7], row[8]), reg_id
    return None, reg_id


def scan_log_values(
    event, actor, point: ScanPoint, reg_id, logged_code, outcome, nonce, device, now
) -> dict:
    return {
        "event_id": event.id,
        "session_id": point.session_id,
        "staff_id": actor.id,
        "registration_id": reg_id,
        "code": logged_code,
        "result": outcome.result,
        "nonce": nonce,
        "response": outcome.as_dict(),
        "device": device[:120],
        "created_at": now,
    }


def log_scan_or_replay(values: dict, connection=None) -> None:
    """Write the scan log's row; a nonce this staff member used before raises NonceReplay
    with the first answer (nothing written)."""
    if log_scan(values, connection) is None:
        run = (connection or db.session).execute
        first = run(
            select(ScanLog.response).where(
                ScanLog.staff_id == values["staff_id"], ScanLog.nonce == values["nonce"]
            )
        ).scalar_one()
        raise NonceReplay(first)


def admit(event, actor, reg_id, point: ScanPoint, nonce, device, now, row) -> ScanResult:
    """Admit registration `reg_id` (its lookup `row`) at `point`, unless another device just
    did: the unique (registration, point) pair decides."""
    details = {"name": row[3], "organisation": row[4], "ticket_type": row[5]}
    new_id = insert_ignoring_conflict(
        CheckIn,
        {
            "event_id": event.id,
            "registration_id": reg_id,
            "session_id": point.session_id,
            "point_key": point.key,
            "checked_in_at": now,
            "staff_id": actor.id,
            "device": device[:120],
            "nonce": nonce,
        },
        ["registration_id", "point_key"],
    )
    if new_id is not None:
        return ScanResult(
            "ok",
            **details,
            first_checked_in_at=_iso(now),
            checked_in_at_local=to_local(now, event.timezone).strftime("%H:%M"),
            point=point.label,
            checked_in_by=actor.name,
            checkin_id=new_id,
        )
    # Another device admitted it between our lookup and our insert: theirs is the admission.
    first_at, staff_name = db.session.execute(
        select(CheckIn.checked_in_at, User.name)
        .outerjoin(User, User.id == CheckIn.staff_id)
        .where(CheckIn.registration_id == reg_id, CheckIn.point_key == point.key)
    ).one()
    return _already(event, point.label, details, first_at, staff_name)


def _already(event, point_label, details, first_at, staff_name) -> ScanResult:
    return ScanResult(
        "already_checked_in",
        **details,
        first_checked_in_at=_iso(first_at),
        checked_in_at_local=to_local(first_at, event.timezone).strftime("%H:%M"),
        point=point_label,
        checked_in_by=staff_name,
    )


# ---------------------------------------------------------------- undo


def undo_checkin(
    event: Event, actor: User, checkin_id: int, now: datetime | None = None
) -> CheckIn:
    """Withdraw a mistaken admission: organisers at any time, the staff member who admitted
    within five minutes. The ticket can then be admitted again at that point."""
    now = now or utcnow()
    checkin = db.session.get(CheckIn, checkin_id)
    if checkin is None or checkin.event_id != event.id:
        raise CheckinInputError("No such admission at this event.")
    if checkin.undone_at is not None:
        raise CheckinError("This admission has already been undone.")
    if not actor.is_organiser:
        if checkin.staff_id != actor.id:
            raise CheckinForbidden("Only the person who admitted them, or an organiser, can undo.")
        if now - checkin.checked_in_at > UNDO_WINDOW:
            raise CheckinForbidden("More than 5 minutes have passed: ask an organiser to undo.")
    done = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin_id, CheckIn.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=actor.id, point_key=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise CheckinError("This admission has already been undone.")
    db.session.add(
        ScanLog(
            event_id=event.id,
            session_id=checkin.session_id,
            staff_id=actor.id,
            registration_id=checkin.registration_id,
            code="",
            result="undone",
            nonce=None,
            response={"checkin_id": checkin_id},
            created_at=now,
        )
    )
    db.session.flush()
    db.session.refresh(checkin)
    return checkin
