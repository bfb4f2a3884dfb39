"""The door: who may scan where, redeeming a ticket, undo, name search, counts and reports.

Redeeming is one indexed lookup and one conditional write: the admission is an
`INSERT … ON CONFLICT DO NOTHING` against the unique (registration, point) pair, so two
devices scanning the same ticket at the same moment admit it once on any database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app import mail
from app.auth.models import Organisation, Role, User
from app.auth.services import create_invited_user
from app.checkin.models import CheckIn, EventStaff, ScanLog
from app.events.models import AgendaSession, Event, SessionStatus, TicketType
from app.extensions import db
from app.registration.emails import queue, url
from app.registration.models import Registration, SessionBooking
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
}

_STATUS_RESULT = {
    "pending_benchmark": "benchmark_pending",
    "pending_payment": "not_paid",
    "waitlisted": "waitlisted",
    "cancelled": "cancelled",
    "refunded": "cancelled",
}


class CheckinError(ValueError):
    """A request the door cannot act on; the message is for the user."""


class CheckinInputError(CheckinError):
    """Malformed input (HTTP 400)."""


class CheckinForbidden(CheckinError):
    """The actor is not staff of this event (HTTP 403)."""


class CheckinNotFound(CheckinError):
    """No such event (HTTP 404)."""


class NonceReplay(Exception):  # noqa: N818  (a signal, not a failure)
    """The staff member already used this nonce: the caller rolls back and answers `response`."""

    def __init__(self, response: dict) -> None:
        super().__init__("nonce already used")
        self.response = response


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
        return asdict(self)


# ---------------------------------------------------------------- who may scan


def events_for_staff(actor: User) -> list[Event]:
    """Events the actor may scan at: their assigned events, or every event for organisers."""
    query = select(Event).where(Event.status != "cancelled").order_by(Event.starts_at)
    if not actor.is_organiser:
        query = query.join(EventStaff, EventStaff.event_id == Event.id).where(
            EventStaff.user_id == actor.id
        )
    return list(db.session.execute(query).scalars())


def event_for_staff(slug: str, actor: User) -> Event:
    """The event with `slug` if the actor may scan there (one query), else an error."""
    if actor.is_organiser:
        event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
        allowed = True
    else:
        assigned = exists().where(EventStaff.event_id == Event.id, EventStaff.user_id == actor.id)
        row = db.session.execute(select(Event, assigned).where(Event.slug == slug)).first()
        event, allowed = (row[0], bool(row[1])) if row else (None, False)
    if event is None:
        raise CheckinNotFound("No such event.")
    if not allowed or not actor.has_role("door_staff", "organiser"):
        raise CheckinForbidden("You are not door staff for this event.")
    return event


def checkin_points(event: Event) -> list[AgendaSession]:
    """Sessions that can be a check-in point (every scheduled session, in time order)."""
    return list(
        db.session.execute(
            select(AgendaSession)
            .where(
                AgendaSession.event_id == event.id, AgendaSession.status != SessionStatus.CANCELLED
            )
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        ).scalars()
    )


def _point_key(session_id: int | None) -> str:
    return DOOR if session_id is None else f"s{session_id}"


def _session_of(event: Event, session_id: int | None) -> AgendaSession | None:
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


def _insert_ignoring_conflict(model, values: dict, conflict_columns: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id → the new id, or None on a conflict."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = model.__table__  # Core insert: the ORM adds nothing here but time
        stmt = (
            insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=conflict_columns)
            .returning(table.c.id)
        )
        return db.session.execute(stmt).scalar_one_or_none()
    try:  # other databases: a savepoint around a plain insert
        with db.session.begin_nested():
            return db.session.execute(
                model.__table__.insert().values(**values)
            ).inserted_primary_key[0]
    except IntegrityError:
        return None


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
    (session_id None) or at one session. `event` must come from `event_for_staff(…, actor)`.

    Every attempt is written to the scan log. A nonce the actor has used before raises
    NonceReplay carrying the first answer: the caller rolls back and returns it, so a retried
    request never admits twice nor anything else.
    """
    if (code is None) == (registration_id is None):
        raise CheckinInputError("Send either a ticket code or a registration.")
    now = now or utcnow()
    session = _session_of(event, session_id)
    point_key = _point_key(session_id)
    point_label = session.title if session else DOOR_LABEL

    booked = (
        exists()
        .where(
            SessionBooking.registration_id == Registration.id,
            SessionBooking.session_id == session.id,
            SessionBooking.status == "booked",
        )
        .label("booked")
        if session is not None and session.is_bookable
        else None
    )
    columns = [
        Registration.id,
        Registration.event_id,
        Registration.status,
        User.name,
        Organisation.name,
        TicketType.name,
        Event.title,
    ]
    if booked is not None:
        columns.append(booked)
    query = (
        select(*columns)
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(TicketType, TicketType.id == Registration.ticket_type_id)
        .join(Event, Event.id == Registration.event_id)
    )
    logged_code = ""
    row = None
    if code is not None:
        code = normalise_code(code)
        logged_code = code[:16]  # enough to tell attempts apart, never a usable secret
        if _CODE_RE.match(code):
            row = db.session.execute(query.where(Registration.ticket_secret == code)).first()
    else:
        row = db.session.execute(
            query.where(Registration.id == registration_id, Registration.event_id == event.id)
        ).first()

    reg_id = None
    if row is None:
        outcome = ScanResult("unknown_code")  # reveals nothing about any registration
    else:
        reg_id, reg_event_id, status, name, org_name, ticket_name, event_title = row[:7]
        if reg_event_id != event.id:
            outcome = ScanResult("wrong_event", other_event=event_title)
        else:
            details = {"name": name, "organisation": org_name, "ticket_type": ticket_name}
            if status in _STATUS_RESULT:
                outcome = ScanResult(_STATUS_RESULT[status], **details)
            elif booked is not None and not row[7]:
                outcome = ScanResult("not_booked", **details)
            else:
                outcome = _admit(event, actor, reg_id, session_id, point_key, point_label,
                                 nonce, device, now, details)  # fmt: skip

    log_id = _insert_ignoring_conflict(
        ScanLog,
        {
            "event_id": event.id,
            "session_id": session_id,
            "staff_id": actor.id,
            "registration_id": reg_id if outcome.result != "wrong_event" else None,
            "code": logged_code,
            "result": outcome.result,
            "nonce": nonce,
            "response": outcome.as_dict(),
            "device": device[:120],
            "created_at": now,
        },
        ["staff_id", "nonce"],
    )
    if log_id is None:
        first = db.session.execute(
            select(ScanLog.response).where(ScanLog.staff_id == actor.id, ScanLog.nonce == nonce)
        ).scalar_one()
        raise NonceReplay(first)
    return outcome


def _admit(event, actor, reg_id, session_id, point_key, point_label, nonce, device, now, details):
    new_id = _insert_ignoring_conflict(
        CheckIn,
        {
            "event_id": event.id,
            "registration_id": reg_id,
            "session_id": session_id,
            "point_key": point_key,
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
            point=point_label,
            checked_in_by=actor.name,
            checkin_id=new_id,
        )
    first_at, staff_name = db.session.execute(
        select(CheckIn.checked_in_at, User.name)
        .outerjoin(User, User.id == CheckIn.staff_id)
        .where(CheckIn.registration_id == reg_id, CheckIn.point_key == point_key)
    ).one()
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


# ---------------------------------------------------------------- name search


@dataclass
class Attendee:
    registration_id: int
    name: str
    email: str
    organisation: str | None
    ticket_type: str
    status: str
    checked_in_at_local: str | None  # at the chosen point


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * min(max(len(local) - 1, 1), 6)}@{domain}"


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_attendees(
    event: Event, actor: User, query: str, session_id: int | None = None, limit: int = 25
) -> list[Attendee]:
    """Registrations of the event matching a name, organisation or email (all statuses, so the
    door sees why someone cannot come in), with their check-in time at the chosen point."""
    term = " ".join((query or "").split()).lower()
    if len(term) < 2:
        raise CheckinInputError("Type at least 2 letters.")
    if len(term) > 80:
        raise CheckinInputError("That search is too long.")
    _session_of(event, session_id)
    pattern = _like(term)
    point_key = _point_key(session_id)
    rows = db.session.execute(
        select(
            Registration.id,
            User.name,
            User.email,
            Organisation.name,
            TicketType.name,
            Registration.status,
            CheckIn.checked_in_at,
        )
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(TicketType, TicketType.id == Registration.ticket_type_id)
        .outerjoin(
            CheckIn,
            and_(CheckIn.registration_id == Registration.id, CheckIn.point_key == point_key),
        )
        .where(
            Registration.event_id == event.id,
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
            ),
        )
        .order_by((Registration.status == "confirmed").desc(), User.name, Registration.id)
        .limit(limit)
    ).all()
    return [
        Attendee(
            registration_id=r[0],
            name=r[1],
            email=_mask_email(r[2]),
            organisation=r[3],
            ticket_type=r[4],
            status=r[5],
            checked_in_at_local=to_local(r[6], event.timezone).strftime("%H:%M") if r[6] else None,
        )
        for r in rows
    ]


# ---------------------------------------------------------------- door staff


def assign_door_staff(event: Event, actor: User, email: str, name: str | None = None) -> User:
    """Let an account scan at `event`; a new address with a name gets a door-staff account
    and an email on choosing a password and opening the scanner (sent after COMMIT)."""
    if not actor.is_organiser:
        raise CheckinForbidden("Only organisers assign door staff.")
    user = db.session.execute(
        select(User).where(User.email == User.normalise_email(email or ""))
    ).scalar_one_or_none()
    if user is None:
        if not name:
            raise CheckinError("No account with that email: give their name to create one.")
        user = create_invited_user(email, name, role=Role.DOOR_STAFF)
        db.session.add(EventStaff(event_id=event.id, user_id=user.id))
        db.session.flush()
        _invite_door_staff(event, user)
        return user
    if not user.has_role("door_staff", "organiser"):
        raise CheckinError(f"{user.name} is not a door staff account.")
    if db.session.get(EventStaff, (event.id, user.id)) is not None:
        raise CheckinError(f"{user.name} is already door staff for this event.")
    db.session.add(EventStaff(event_id=event.id, user_id=user.id))
    db.session.flush()
    return user


def _invite_door_staff(event: Event, user: User) -> None:
    ctx = {
        "user": user,
        "event": event,
        "set_password_url": url("auth.request_reset"),
        "scanner_url": url("checkin.scanner", slug=event.slug),
    }
    queue(
        mail.build_message(
            user.email,
            f"You are door staff for {event.title}",
            render_template("checkin/email/door_staff_invitation.txt", **ctx),
            render_template("checkin/email/door_staff_invitation.html", **ctx),
        )
    )


def unassign_door_staff(event: Event, actor: User, user_id: int) -> User:
    if not actor.is_organiser:
        raise CheckinForbidden("Only organisers assign door staff.")
    link = db.session.get(EventStaff, (event.id, user_id))
    if link is None:
        raise CheckinError("That person is not door staff for this event.")
    user = link.user
    db.session.delete(link)
    db.session.flush()
    return user


def door_staff_of(event: Event) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(EventStaff, EventStaff.user_id == User.id)
            .where(EventStaff.event_id == event.id)
            .order_by(User.name)
        ).scalars()
    )


def assignable_staff(event: Event) -> list[User]:
    """Door staff accounts not yet assigned to the event."""
    assigned = select(EventStaff.user_id).where(EventStaff.event_id == event.id)
    return list(
        db.session.execute(
            select(User)
            .where(User.role == "door_staff", User.active.is_(True), User.id.not_in(assigned))
            .order_by(User.name)
        ).scalars()
    )


# ---------------------------------------------------------------- live counts


@dataclass
class PointCount:
    session_id: int | None
    title: str
    starts_local: str
    checked_in: int
    expected: int
    bookable: bool = False


@dataclass
class LiveCounts:
    checked_in: int
    expected: int
    needs_attention: int
    points: list[PointCount] = field(default_factory=list)
    arrivals: list[tuple[str, int]] = field(default_factory=list)  # (local "HH:MM", count)
    recent: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _bucket(value: datetime, tz: str, minutes: int) -> datetime:
    local = to_local(value, tz).replace(tzinfo=None, second=0, microsecond=0)
    return local.replace(minute=local.minute - local.minute % minutes)


def live_counts(event: Event, bucket_minutes: int = 15) -> LiveCounts:
    """Checked in / expected at the door and each session, arrivals over time, latest
    admissions. A fixed number of queries whatever the size of the event."""
    status_counts = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    confirmed = status_counts.get("confirmed", 0)
    attention = status_counts.get("pending_benchmark", 0) + status_counts.get("pending_payment", 0)
    by_point = dict(
        db.session.execute(
            select(CheckIn.point_key, func.count())
            .where(CheckIn.event_id == event.id, CheckIn.point_key.is_not(None))
            .group_by(CheckIn.point_key)
        ).all()
    )
    booked = dict(
        db.session.execute(
            select(SessionBooking.session_id, func.count())
            .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
            .where(AgendaSession.event_id == event.id, SessionBooking.status == "booked")
            .group_by(SessionBooking.session_id)
        ).all()
    )
    points = [PointCount(None, DOOR_LABEL, "", by_point.get(DOOR, 0), confirmed)]
    for s in checkin_points(event):
        points.append(
            PointCount(
                s.id,
                s.title,
                to_local(s.starts_at, event.timezone).strftime("%a %H:%M"),
                by_point.get(_point_key(s.id), 0),
                booked.get(s.id, 0) if s.is_bookable else confirmed,
                s.is_bookable,
            )
        )
    times = db.session.execute(
        select(CheckIn.checked_in_at)
        .where(CheckIn.event_id == event.id, CheckIn.point_key == DOOR)
        .order_by(CheckIn.checked_in_at)
    ).scalars()
    buckets: dict[datetime, int] = defaultdict(int)
    for t in times:
        buckets[_bucket(t, event.timezone, bucket_minutes)] += 1
    arrivals = []
    if buckets:
        step, cursor, last = timedelta(minutes=bucket_minutes), min(buckets), max(buckets)
        while cursor <= last:  # fill the gaps so the chart's time axis is even
            arrivals.append((cursor.strftime("%H:%M"), buckets.get(cursor, 0)))
            cursor += step
    recent_rows = db.session.execute(
        select(CheckIn.checked_in_at, User.name, AgendaSession.title)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .join(User, User.id == Registration.user_id)
        .outerjoin(AgendaSession, AgendaSession.id == CheckIn.session_id)
        .where(CheckIn.event_id == event.id, CheckIn.point_key.is_not(None))
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .limit(10)
    ).all()
    recent = [
        {
            "time": to_local(t, event.timezone).strftime("%H:%M"),
            "name": name,
            "point": title or DOOR_LABEL,
        }
        for t, name, title in recent_rows
    ]
    return LiveCounts(by_point.get(DOOR, 0), confirmed, attention, points, arrivals, recent)


# ---------------------------------------------------------------- attendance report


@dataclass
class AttendanceRow:
    registration_id: int
    name: str
    email: str
    organisation: str | None
    sector: str | None
    size_band: str | None
    ticket_type: str
    status: str
    admissions: list[dict] = field(default_factory=list)  # {id, point, at (naive UTC), by}

    @property
    def attended(self) -> bool:
        return bool(self.admissions)


def attendance(event: Event) -> list[AttendanceRow]:
    """Everyone registered (live or with an admission), with where and when they were
    admitted. Two queries."""
    regs = db.session.execute(
        select(
            Registration.id,
            User.name,
            User.email,
            Organisation.name,
            Organisation.sector,
            Organisation.size_band,
            TicketType.name,
            Registration.status,
        )
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(TicketType, TicketType.id == Registration.ticket_type_id)
        .where(Registration.event_id == event.id)
        .order_by(User.name, Registration.id)
    ).all()
    staff = db.aliased(User)
    admissions: dict[int, list[dict]] = defaultdict(list)
    for checkin_id, reg_id, at, title, by in db.session.execute(
        select(
            CheckIn.id,
            CheckIn.registration_id,
            CheckIn.checked_in_at,
            AgendaSession.title,
            staff.name,
        )
        .outerjoin(AgendaSession, AgendaSession.id == CheckIn.session_id)
        .outerjoin(staff, staff.id == CheckIn.staff_id)
        .where(CheckIn.event_id == event.id, CheckIn.point_key.is_not(None))
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    ):
        admissions[reg_id].append(
            {"id": checkin_id, "point": title or DOOR_LABEL, "at": at, "by": by or ""}
        )
    return [
        AttendanceRow(*r, admissions=admissions.get(r[0], []))
        for r in regs
        if r[7] not in ("cancelled", "refunded", "waitlisted") or r[0] in admissions
    ]


CSV_HEADER = [
    "Name",
    "Email",
    "Organisation",
    "Sector (SIC division)",
    "Size band",
    "Ticket type",
    "Registration status",
    "Attended",
    "Check-in point",
    "Checked in at",
    "Checked in by",
]


def attendance_csv_rows(event: Event, rows: list[AttendanceRow]) -> list[list[str]]:
    """One line per admission; registrations without one get a single 'no' line."""
    out = [CSV_HEADER]
    for r in rows:
        base = [r.name, r.email, r.organisation, r.sector, r.size_band, r.ticket_type, r.status]
        if not r.admissions:
            out.append(base + ["no", "", "", ""])
        for a in r.admissions:
            when = to_local(a["at"], event.timezone).strftime("%Y-%m-%d %H:%M")
            out.append(base + ["yes", a["point"], when, a["by"]])
    return out
