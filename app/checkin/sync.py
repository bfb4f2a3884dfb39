"""Scans made with no signal, arriving later in batches.

Each scan goes through `redeem_ticket`, so it has the scan API's guarantees: one admission
per ticket and point, the scan log, and a nonce seen before answering its first answer and
changing nothing. The device's scan time becomes the admission time. The caller commits after
every scan (and rolls back one that raises NonceReplay): the first admission to reach the
server stands, and two devices' batches that hold the same tickets in different orders never
wait on each other.

A synced scan the server cannot take as the device did (the ticket was already admitted
there, or the device admitted someone the server refuses) is recorded as a conflict for the
organisers' live page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.auth.models import User
from app.checkin.errors import CheckinInputError
from app.checkin.models import CheckIn, CheckInConflict, ScanLog
from app.checkin.services import MAX_CODE_LENGTH, RESULTS, point_key_of, redeem_ticket
from app.events.models import AgendaSession, Event
from app.extensions import db
from app.timeutil import utcnow

MAX_BATCH = 200


@dataclass(frozen=True)
class SyncedScan:
    index: int  # position in the batch: answers go back in the order sent
    code: str | None
    nonce: str
    scanned_at: datetime  # naive UTC, whole seconds
    session_id: int | None
    offline_result: str | None  # what the device decided, if it says
    registration_id: int | None = None  # instead of a code: admitted from name search


def _fail(index: int, message: str) -> CheckinInputError:
    return CheckinInputError(f"scans[{index}]: {message}")


def _scan_time(value, index: int) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise _fail(index, "scanned_at must be an ISO 8601 UTC time.")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _fail(index, "scanned_at must be an ISO 8601 UTC time.") from None
    if when.tzinfo is None:
        raise _fail(index, "scanned_at must say it is UTC (end it with Z).")
    # Stored to the second, so that the time a later scan reports is the time sent.
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def parse_batch(body: dict) -> tuple[str, list[SyncedScan]]:
    """The request body as (device, scans), or CheckinInputError naming what is wrong."""
    device = body.get("device")
    if not isinstance(device, str) or not 0 < len(device) <= 120:
        raise CheckinInputError("device must name this scanner (1 to 120 characters).")
    raw = body.get("scans")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_BATCH:
        raise CheckinInputError(f"scans must be a list of 1 to {MAX_BATCH} scans.")
    scans = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _fail(i, "each scan must be an object.")
        code, reg_id = item.get("code"), item.get("registration_id")
        if reg_id is None and (not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_LENGTH):
            raise _fail(i, "code must be the text read from the ticket.")
        if reg_id is not None and (
            code is not None
            or isinstance(reg_id, bool)
            or not isinstance(reg_id, int)
            or not 0 < reg_id < 2**31
        ):
            raise _fail(i, "send either a code or a registration_id (a whole number).")
        nonce = item.get("nonce")
        if not isinstance(nonce, str) or not 8 <= len(nonce) <= 64:
            raise _fail(i, "nonce must be a unique string of 8 to 64 characters (a UUID).")
        session_id = item.get("session_id")
        if session_id is not None and (
            isinstance(session_id, bool) or not isinstance(session_id, int)
        ):
            raise _fail(i, "session_id must be a whole number or null.")
        offline = item.get("offline_result")
        if offline is not None and offline not in RESULTS:
            raise _fail(i, "offline_result must be a scan result code.")
        when = _scan_time(item.get("scanned_at"), i)
        scans.append(SyncedScan(i, code, nonce, when, session_id, offline, reg_id))
    return device, scans


def check_sessions(event: Event, scans: list[SyncedScan]) -> None:
    """Every session named must belong to the event (one query), before anything is applied."""
    wanted = {s.session_id for s in scans if s.session_id is not None}
    if not wanted:
        return
    if any(not 0 < sid < 2**31 for sid in wanted):
        raise CheckinInputError("That session is not part of this event.")
    found = set(
        db.session.execute(
            select(AgendaSession.id).where(
                AgendaSession.id.in_(wanted), AgendaSession.event_id == event.id
            )
        ).scalars()
    )
    if wanted - found:
        raise CheckinInputError("That session is not part of this event.")


def in_scan_order(scans: list[SyncedScan]) -> list[SyncedScan]:
    """Within a batch, scans are applied in the order they were made."""
    return sorted(scans, key=lambda s: (s.scanned_at, s.index))


def apply_synced_scan(
    event: Event, actor: User, device: str, scan: SyncedScan, now: datetime | None = None
) -> dict:
    """Apply one offline scan and return its answer (the scan API's, with the nonce).

    A nonce already used answers its first answer. If another request with the same nonce
    wins a race with this one, NonceReplay is raised as by `redeem_ticket`: the caller rolls
    back this scan (and only it, having committed the ones before) and answers
    `{"nonce": …, **replay.response}`."""
    now = now or utcnow()
    first = db.session.execute(
        select(ScanLog.response).where(ScanLog.staff_id == actor.id, ScanLog.nonce == scan.nonce)
    ).scalar_one_or_none()
    if first is not None:
        return {"nonce": scan.nonce, **first}
    outcome = redeem_ticket(
        event,
        actor,
        code=scan.code,
        registration_id=scan.registration_id,
        session_id=scan.session_id,
        nonce=scan.nonce,
        device=device,
        # a device whose clock runs fast cannot admit anyone in the future
        now=min(scan.scanned_at, now),
    )
    if outcome.result == "already_checked_in" or (
        scan.offline_result == "ok" and outcome.result != "ok"
    ):
        _record_conflict(event, actor, device, scan, outcome.result, now)
    return {"nonce": scan.nonce, **outcome.as_dict()}


def _record_conflict(event, actor, device, scan, result: str, now: datetime) -> None:
    reg_id = db.session.execute(
        select(ScanLog.registration_id).where(
            ScanLog.staff_id == actor.id, ScanLog.nonce == scan.nonce
        )
    ).scalar_one_or_none()
    standing = None
    if reg_id is not None and result == "already_checked_in":
        standing = db.session.execute(
            select(CheckIn.id).where(
                CheckIn.registration_id == reg_id,
                CheckIn.point_key == point_key_of(scan.session_id),
            )
        ).scalar_one_or_none()
    db.session.add(
        CheckInConflict(
            event_id=event.id,
            registration_id=reg_id,
            session_id=scan.session_id,
            checkin_id=standing,
            result=result,
            offline_result=scan.offline_result,
            staff_id=actor.id,
            device=device[:120],
            nonce=scan.nonce,
            scanned_at=scan.scanned_at,
            created_at=now,
        )
    )
    db.session.flush()
