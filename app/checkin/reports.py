"""What organisers watch and report: live counts at each point, sync conflicts, attendance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.auth.models import Organisation, User
from app.checkin.models import CheckIn, CheckInConflict
from app.checkin.services import DOOR, DOOR_LABEL, RESULTS, checkin_points, point_key_of
from app.events.models import AgendaSession, Event, EventStatus, TicketType
from app.extensions import db
from app.registration.models import Registration, SessionBooking
from app.timeutil import to_local

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
    conflicts: list[dict] = field(default_factory=list)
    event_cancelled: bool = False

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
                by_point.get(point_key_of(s.id), 0),
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
    return LiveCounts(
        by_point.get(DOOR, 0),
        confirmed,
        attention,
        points,
        arrivals,
        recent,
        sync_conflicts(event),
        event.status == EventStatus.CANCELLED,
    )


def _device_line(at: datetime | None, tz: str, by: str | None, device: str | None) -> str:
    if at is None:
        return ""
    line = to_local(at, tz).strftime("%H:%M:%S")
    if by:
        line += f" by {by}"
    if device:
        line += f" ({device})"
    return line


def _said(result: str | None) -> str:
    """What the scanner showed offline, in words: "already checked in", "refused: …"."""
    if not result:
        return ""
    return RESULTS[result][1].lower() if result in RESULTS else result


def sync_conflicts(event: Event, limit: int = 20) -> list[dict]:
    """The latest offline scans the server could not take as the device did, each with the
    admission that stands (who, when, on which device) and the scan that lost. One query."""
    attendee = db.aliased(User)
    scanner = db.aliased(User)
    admitter = db.aliased(User)
    rows = db.session.execute(
        select(
            CheckInConflict.result,
            CheckInConflict.offline_result,
            CheckInConflict.scanned_at,
            CheckInConflict.device,
            scanner.name,
            attendee.name,
            AgendaSession.title,
            CheckIn.checked_in_at,
            CheckIn.device,
            admitter.name,
        )
        .outerjoin(Registration, Registration.id == CheckInConflict.registration_id)
        .outerjoin(attendee, attendee.id == Registration.user_id)
        .outerjoin(scanner, scanner.id == CheckInConflict.staff_id)
        .outerjoin(AgendaSession, AgendaSession.id == CheckInConflict.session_id)
        .outerjoin(CheckIn, CheckIn.id == CheckInConflict.checkin_id)
        .outerjoin(admitter, admitter.id == CheckIn.staff_id)
        .where(CheckInConflict.event_id == event.id)
        .order_by(CheckInConflict.id.desc())
        .limit(limit)
    ).all()
    tz = event.timezone
    return [
        {
            "name": name or "Unknown ticket",
            "point": title or DOOR_LABEL,
            "result": RESULTS[result][1] if result in RESULTS else result,
            "offline": "admitted" if offline == "ok" else _said(offline),
            "scanned": _device_line(scanned_at, tz, by, device),
            "standing": _device_line(first_at, tz, first_by, first_device),
        }
        for (result, offline, scanned_at, device, by, name, title, first_at, first_device,
             first_by) in rows
    ]  # fmt: skip


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
