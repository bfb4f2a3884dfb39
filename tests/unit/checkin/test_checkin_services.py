"""Redeeming tickets, undo, name search, counts and the attendance report."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.checkin.models import CheckIn, ScanLog
from app.checkin.reports import attendance, attendance_csv_rows, live_counts
from app.checkin.search import search_attendees
from app.checkin.services import (
    CheckinError,
    CheckinForbidden,
    CheckinInputError,
    CheckinNotFound,
    NonceReplay,
    event_for_staff,
    events_for_staff,
    redeem_ticket,
    undo_checkin,
)
from app.checkin.staff import assign_door_staff, unassign_door_staff
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_booking, make_door_staff, make_registration, new_secret


@pytest.fixture
def event(app):
    return make_event(slug="conf", title="Productivity Journey")


@pytest.fixture
def staff(event):
    return make_door_staff(event, name="Dev Door")


_n = iter(range(10**6))


def scan(event, actor, code=None, **kw):
    kw.setdefault("nonce", f"nonce-{next(_n):08d}")
    return redeem_ticket(event, actor, code=code, **kw)


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_confirmed_ticket_is_admitted_once_then_already_checked_in(event, staff):
    org = make_organisation("Anglia Castings Ltd")
    reg = make_registration(event, make_user(name="Ada Lovelace", organisation=org))
    at = datetime(2026, 9, 15, 8, 12, 3)  # UTC; 09:12 in London (BST)

    first = scan(event, staff, reg.ticket_secret, now=at)

    assert first.result == "ok"
    assert (first.name, first.organisation, first.ticket_type) == (
        "Ada Lovelace",
        "Anglia Castings Ltd",
        "Delegate",
    )
    assert first.first_checked_in_at == at.isoformat() + "Z"
    assert first.tone == "green"
    assert first.point == "Entrance"
    checkin = db.session.get(CheckIn, first.checkin_id)
    assert (checkin.registration_id, checkin.point_key, checkin.staff_id) == (
        reg.id,
        "door",
        staff.id,
    )

    other_staff = make_door_staff(event, name="Sam Second")
    again = scan(event, other_staff, reg.ticket_secret.lower(), now=at + timedelta(minutes=5))

    assert again.result == "already_checked_in"
    assert again.first_checked_in_at == at.isoformat() + "Z"
    assert again.checked_in_by == "Dev Door"
    assert again.point == "Entrance"
    assert again.checked_in_at_local == "09:12"
    assert again.tone == "red"
    assert count(CheckIn) == 1
    assert [r for (r,) in db.session.execute(select(ScanLog.result).order_by(ScanLog.id))] == [
        "ok",
        "already_checked_in",
    ]


@pytest.mark.parametrize(
    ("status", "paid", "expected", "tone"),
    [
        ("pending_benchmark", True, "benchmark_pending", "amber"),
        ("pending_payment", False, "not_paid", "amber"),
        ("waitlisted", False, "waitlisted", "red"),
        ("cancelled", False, "cancelled", "red"),
        ("refunded", True, "cancelled", "red"),
    ],
)
def test_status_maps_to_result_by_code_and_by_name_search(
    event, staff, status, paid, expected, tone
):
    reg = make_registration(
        event, status=status, ticket_secret=new_secret(), paid_at=utcnow() if paid else None
    )

    by_code = scan(event, staff, reg.ticket_secret)
    by_search = scan(event, staff, registration_id=reg.id)

    assert (by_code.result, by_code.tone) == (expected, tone)
    assert by_search.result == expected
    assert by_code.name == reg.user.name
    assert count(CheckIn) == 0
    assert count(ScanLog) == 2


def test_paid_registration_awaiting_benchmark_without_secret_is_found_by_name(event, staff):
    reg = make_registration(event, status="pending_benchmark", paid_at=utcnow())
    assert reg.ticket_secret is None

    assert scan(event, staff, registration_id=reg.id).result == "benchmark_pending"


def test_another_events_ticket_is_wrong_event_and_names_nobody(event, staff):
    other = make_event(title="Site visit: Norfolk Robotics")
    reg = make_registration(other)

    result = scan(event, staff, reg.ticket_secret)

    assert result.result == "wrong_event"
    assert result.other_event == "Site visit: Norfolk Robotics"
    assert result.name is None and result.organisation is None
    assert count(CheckIn) == 0


def test_another_events_registration_id_from_search_is_unknown(event, staff):
    reg = make_registration(make_event())
    assert scan(event, staff, registration_id=reg.id).result == "unknown_code"


@pytest.mark.parametrize(
    "code",
    ["JRN1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "hello", "JRN1-", "' OR 1=1 --", "x" * 500],
)
def test_forged_or_random_code_is_unknown_and_reveals_nothing(event, staff, code):
    make_registration(event)

    result = scan(event, staff, code)

    assert result.as_dict() == {
        "result": "unknown_code",
        "name": None,
        "ticket_type": None,
        "first_checked_in_at": None,
        "organisation": None,
        "point": None,
        "checked_in_by": None,
        "checked_in_at_local": None,
        "checkin_id": None,
        "other_event": None,
        "tone": "red",
        "headline": "Refused: not a valid ticket",
        "advice": "Ask for their ticket email or search by name.",
    }
    log = db.session.execute(select(ScanLog)).scalar_one()
    assert log.result == "unknown_code"
    assert log.code == "".join(code.split()).upper()[:16]


def test_bookable_session_needs_a_booking_open_session_admits_any_delegate(event, staff):
    workshop = make_session(event, title="Lean workshop", capacity=20)
    keynote = make_session(event, title="Keynote")
    booked = make_registration(event)
    make_booking(workshop, booked)
    walk_in = make_registration(event)
    make_booking(workshop, walk_in, status="cancelled")

    assert scan(event, staff, walk_in.ticket_secret, session_id=workshop.id).result == "not_booked"
    ok = scan(event, staff, booked.ticket_secret, session_id=workshop.id)
    assert (ok.result, ok.point) == ("ok", "Lean workshop")
    assert scan(event, staff, walk_in.ticket_secret, session_id=keynote.id).result == "ok"
    # the door is a separate point: the same ticket is admitted there too, once
    assert scan(event, staff, booked.ticket_secret).result == "ok"
    again = scan(event, staff, booked.ticket_secret, session_id=workshop.id)
    assert (again.result, again.point) == ("already_checked_in", "Lean workshop")
    assert count(CheckIn) == 3


def test_session_of_another_event_is_bad_input_and_writes_nothing(event, staff):
    foreign = make_session(make_event())
    reg = make_registration(event)

    with pytest.raises(CheckinInputError, match="not part of this event"):
        scan(event, staff, reg.ticket_secret, session_id=foreign.id)
    assert count(ScanLog) == 0


def test_code_and_registration_id_are_exclusive(event, staff):
    with pytest.raises(CheckinInputError):
        redeem_ticket(event, staff, nonce="n-00000001")
    with pytest.raises(CheckinInputError):
        redeem_ticket(event, staff, code="JRN1-X", registration_id=1, nonce="n-00000002")


def test_same_nonce_returns_the_first_answer_and_writes_nothing_new(event, staff):
    reg = make_registration(event)
    first = scan(event, staff, reg.ticket_secret, nonce="same-nonce-1")
    db.session.commit()

    with pytest.raises(NonceReplay) as replay:
        scan(event, staff, reg.ticket_secret, nonce="same-nonce-1")
    db.session.rollback()
    assert replay.value.response == first.as_dict()

    # a different ticket under a used nonce is not admitted either
    other = make_registration(event)
    with pytest.raises(NonceReplay) as replay:
        scan(event, staff, other.ticket_secret, nonce="same-nonce-1")
    db.session.rollback()
    assert replay.value.response["result"] == "ok"
    assert replay.value.response["name"] == reg.user.name
    assert count(CheckIn) == 1
    assert count(ScanLog) == 1


def test_nonces_are_per_staff_member(event, staff):
    reg = make_registration(event)
    colleague = make_door_staff(event)
    scan(event, staff, reg.ticket_secret, nonce="shared-nonce")
    assert scan(event, colleague, reg.ticket_secret, nonce="shared-nonce").result == (
        "already_checked_in"
    )


def test_database_refuses_a_second_admission_at_the_same_point(event, staff):
    """The guarantee behind the service: without the unique key this insert would pass."""
    reg = make_registration(event)
    kw = {"event_id": event.id, "registration_id": reg.id, "point_key": "door"}
    db.session.add(CheckIn(**kw, checked_in_at=utcnow()))
    db.session.flush()
    db.session.add(CheckIn(**kw, checked_in_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_scan_is_one_lookup_and_one_conditional_write(event, staff, count_queries):
    reg = make_registration(event)
    db.session.commit()
    secret, _, _ = reg.ticket_secret, event.id, staff.id  # load before counting
    with count_queries() as queries:
        scan(event, staff, secret)
    assert len(queries) == 3  # lookup, admission insert, scan log insert
    assert queries[1].lstrip().upper().startswith("INSERT INTO CHECK_IN")
    assert "ON CONFLICT" in queries[1].upper()
    with count_queries() as queries:
        again = scan(event, staff, secret)
    assert again.result == "already_checked_in" and again.checked_in_by == staff.name
    assert len(queries) == 2  # the lookup (which finds the admission), scan log insert
    assert queries[1].lstrip().upper().startswith("INSERT INTO SCAN_LOG")


def test_staff_undo_within_five_minutes_then_admit_again(event, staff):
    reg = make_registration(event)
    at = utcnow()
    ok = scan(event, staff, reg.ticket_secret, now=at)

    checkin = undo_checkin(event, staff, ok.checkin_id, now=at + timedelta(minutes=4))

    assert checkin.undone_by_id == staff.id
    assert checkin.point_key is None
    assert checkin.undone_at == at + timedelta(minutes=4)
    assert scan(event, staff, reg.ticket_secret).result == "ok"
    assert count(CheckIn) == 2
    with pytest.raises(CheckinError, match="already been undone"):
        undo_checkin(event, staff, ok.checkin_id, now=at + timedelta(minutes=4))


def test_staff_cannot_undo_late_or_someone_elses_but_organisers_can(event, staff):
    reg = make_registration(event)
    at = utcnow()
    ok = scan(event, staff, reg.ticket_secret, now=at)
    colleague = make_door_staff(event)

    with pytest.raises(CheckinForbidden, match="5 minutes"):
        undo_checkin(event, staff, ok.checkin_id, now=at + timedelta(minutes=5, seconds=1))
    with pytest.raises(CheckinForbidden, match="Only the person"):
        undo_checkin(event, colleague, ok.checkin_id, now=at)
    boss = organiser()
    assert (
        undo_checkin(event, boss, ok.checkin_id, now=at + timedelta(days=1)).undone_by_id == boss.id
    )


def test_undo_of_another_events_admission_is_refused(event, staff):
    other = make_event()
    reg = make_registration(other)
    ok = scan(other, staff, reg.ticket_secret)
    with pytest.raises(CheckinInputError):
        undo_checkin(event, organiser(), ok.checkin_id)


def test_event_for_staff_only_assigned_events(event, staff):
    other = make_event(slug="other")
    assert event_for_staff("conf", staff) is event
    with pytest.raises(CheckinForbidden):
        event_for_staff("other", staff)
    with pytest.raises(CheckinNotFound):
        event_for_staff("nope", staff)
    delegate = make_user()
    with pytest.raises(CheckinForbidden):
        event_for_staff("conf", delegate)
    assert event_for_staff("other", organiser()) is other
    assert events_for_staff(staff) == [event]


def test_search_by_name_organisation_or_email(event, staff):
    org = make_organisation("Breckland Precision")
    ada = make_registration(event, make_user(name="Ada Lovelace", email="ada@lovelace.example"))
    make_registration(event, make_user(name="Bob Barker", organisation=org))
    make_registration(event, make_user(name="Cy Waiting"), status="waitlisted")
    make_registration(make_event(), make_user(name="Ada Elsewhere"))
    scan(event, staff, ada.ticket_secret)

    by_name = search_attendees(event, staff, "  ADA ")
    assert [(a.name, a.registration_id) for a in by_name] == [("Ada Lovelace", ada.id)]
    assert by_name[0].email == "a••@lovelace.example"
    assert by_name[0].checked_in_at_local is not None
    assert [a.name for a in search_attendees(event, staff, "breckland")] == ["Bob Barker"]
    assert [a.name for a in search_attendees(event, staff, "lovelace.example")] == ["Ada Lovelace"]
    assert search_attendees(event, staff, "Bob")[0].checked_in_at_local is None
    assert [a.status for a in search_attendees(event, staff, "waiting")] == ["waitlisted"]
    assert search_attendees(event, staff, "%%") == []
    with pytest.raises(CheckinInputError):
        search_attendees(event, staff, "a")


def test_assign_and_unassign_door_staff(event):
    boss = organiser()
    door = make_user(Role.DOOR_STAFF, email="door2@example.com", name="Door Two")
    assert assign_door_staff(event, boss, " Door2@Example.com ") is door
    with pytest.raises(CheckinError, match="already"):
        assign_door_staff(event, boss, "door2@example.com")
    with pytest.raises(CheckinError, match="not a door staff account"):
        assign_door_staff(event, boss, make_user(email="d@example.com").email)
    with pytest.raises(CheckinError, match="No account"):
        assign_door_staff(event, boss, "nobody@example.com")
    with pytest.raises(CheckinForbidden):
        assign_door_staff(event, door, "door2@example.com")
    assert unassign_door_staff(event, boss, door.id) is door
    with pytest.raises(CheckinError):
        unassign_door_staff(event, boss, door.id)


def test_live_counts(event, staff, count_queries):
    workshop = make_session(event, title="Workshop", capacity=10)
    regs = [make_registration(event) for _ in range(4)]
    make_registration(event, status="pending_benchmark", paid_at=utcnow())
    make_registration(event, status="cancelled")
    make_booking(workshop, regs[0])
    make_booking(workshop, regs[1])
    t0 = utcnow().replace(hour=8, minute=50, second=0, microsecond=0)
    scan(event, staff, regs[0].ticket_secret, now=t0)
    scan(event, staff, regs[1].ticket_secret, now=t0 + timedelta(minutes=2))
    scan(event, staff, regs[2].ticket_secret, now=t0 + timedelta(minutes=40))
    undone = scan(event, staff, regs[3].ticket_secret, now=t0 + timedelta(minutes=41))
    undo_checkin(event, staff, undone.checkin_id, now=t0 + timedelta(minutes=42))
    scan(event, staff, regs[0].ticket_secret, session_id=workshop.id, now=t0)
    db.session.commit()
    assert event.id  # loaded before counting

    with count_queries() as queries:
        counts = live_counts(event)

    assert len(queries) == 7  # statuses, per point, bookings, points, arrivals, recent, conflicts
    assert (counts.checked_in, counts.expected, counts.needs_attention) == (3, 4, 1)
    assert [(p.title, p.checked_in, p.expected) for p in counts.points] == [
        ("Entrance", 3, 4),
        ("Workshop", 1, 2),
    ]
    assert [n for _, n in counts.arrivals] == [2, 0, 0, 1]  # 15-minute buckets, gaps filled
    assert len(counts.recent) == 4


def test_attendance_report_and_csv(event, staff):
    keynote = make_session(event, title="Keynote")
    ada = make_registration(event, make_user(name="Ada", organisation=make_organisation("=cmd()")))
    make_registration(event, make_user(name="Bea"))
    make_registration(event, make_user(name="Cat"), status="cancelled")
    scan(event, staff, ada.ticket_secret)
    scan(event, staff, ada.ticket_secret, session_id=keynote.id)

    rows = attendance(event)

    assert [(r.name, [a["point"] for a in r.admissions]) for r in rows] == [
        ("Ada", ["Entrance", "Keynote"]),
        ("Bea", []),
    ]
    csv_rows = attendance_csv_rows(event, rows)
    assert csv_rows[0][0] == "Name"
    assert len(csv_rows) == 4
    assert csv_rows[1][2] == "=cmd()"  # defused when sent: tests/unit/test_csvexport.py
    assert csv_rows[1][7:9] == ["yes", "Entrance"]
    assert csv_rows[1][10] == "Dev Door"
    assert csv_rows[3][0] == "Bea" and csv_rows[3][7] == "no"
