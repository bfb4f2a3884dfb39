"""Undo at the edges: the five-minute window to the second, and two devices undoing the same
admission at the same moment (separate processes, SQLite and PostgreSQL alike)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.checkin.models import CheckIn, ScanLog
from app.checkin.services import CheckinError, CheckinForbidden, redeem_ticket, undo_checkin
from app.extensions import db
from tests.clock import next_winter_day
from tests.factories import make_event
from tests.factories_checkin import make_door_staff, make_registration
from tests.processes import process_context
from tests.unit.checkin import undo_workers

AT = next_winter_day(hour=9) + timedelta(minutes=30)  # undo measures from the admission


@pytest.fixture
def admitted(app):
    event = make_event(slug="undo")
    staff = make_door_staff(event, name="Dev Door")
    reg = make_registration(event)
    ok = redeem_ticket(event, staff, code=reg.ticket_secret, nonce="first-scan", now=AT)
    assert ok.result == "ok"
    return event, staff, reg, ok.checkin_id


def _undo_logs():
    return list(
        db.session.execute(
            select(ScanLog.staff_id, ScanLog.registration_id, ScanLog.response, ScanLog.created_at)
            .where(ScanLog.result == "undone")
            .order_by(ScanLog.id)
        ).all()
    )


def test_staff_can_undo_at_exactly_five_minutes(admitted):
    event, staff, reg, checkin_id = admitted

    checkin = undo_checkin(event, staff, checkin_id, now=AT + timedelta(minutes=5))

    assert (checkin.undone_at, checkin.undone_by_id, checkin.point_key) == (
        AT + timedelta(minutes=5),
        staff.id,
        None,
    )
    assert _undo_logs() == [
        (staff.id, reg.id, {"checkin_id": checkin_id}, AT + timedelta(minutes=5))
    ]


def test_one_second_past_five_minutes_is_refused_and_writes_nothing(admitted):
    event, staff, _, checkin_id = admitted

    with pytest.raises(CheckinForbidden, match="More than 5 minutes"):
        undo_checkin(event, staff, checkin_id, now=AT + timedelta(minutes=5, seconds=1))

    db.session.expire_all()
    assert db.session.get(CheckIn, checkin_id).undone_at is None
    assert _undo_logs() == []


def test_two_simultaneous_undos_one_succeeds_one_is_refused_one_log_entry(admitted, database_url):
    event, staff, reg, checkin_id = admitted
    db.session.commit()
    when = AT + timedelta(minutes=2)

    ctx = process_context()
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    args = (database_url, event.id, staff.id, checkin_id, when, barrier, results)
    procs = [ctx.Process(target=undo_workers.undo_worker, args=args) for _ in range(2)]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0

    assert outcomes == [
        ("refused", "This admission has already been undone."),
        ("undone", checkin_id),
    ]
    db.session.expire_all()
    checkin = db.session.get(CheckIn, checkin_id)
    assert (checkin.undone_at, checkin.undone_by_id, checkin.point_key) == (when, staff.id, None)
    assert _undo_logs() == [(staff.id, reg.id, {"checkin_id": checkin_id}, when)]
    # A third try, later, is refused before it writes anything.
    with pytest.raises(CheckinError, match="already been undone"):
        undo_checkin(event, staff, checkin_id, now=when + timedelta(seconds=1))
    assert len(_undo_logs()) == 1
