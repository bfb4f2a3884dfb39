"""Live counts as the organiser's screen shows them: arrivals in local-time buckets with the
gaps filled, in GMT, in British Summer Time and in a zone half an hour off; who came in last;
expected numbers at each point."""

from datetime import datetime, timedelta

import pytest

from app.checkin.reports import live_counts
from app.checkin.services import redeem_ticket, undo_checkin
from tests.clock import next_summer_day, next_winter_day
from tests.factories import make_event, make_session, make_user
from tests.factories_checkin import make_booking, make_door_staff, make_registration

WINTER = next_winter_day(hour=0)  # GMT: London wall clock = UTC
SUMMER = next_summer_day(hour=0)  # BST: London wall clock = UTC + 1

_n = iter(range(10**6))


def _event(day: datetime, tz: str = "Europe/London"):
    event = make_event(
        slug=f"counts-{next(_n)}", timezone=tz, starts_at=day + timedelta(hours=8), hours=9
    )
    return event, make_door_staff(event, name="Dev Door")


def _admit(event, staff, at, reg=None, session_id=None, name=None):
    reg = reg or make_registration(event, make_user(name=name) if name else None)
    ok = redeem_ticket(
        event, staff, code=reg.ticket_secret, session_id=session_id, nonce=f"n{next(_n)}", now=at
    )
    assert ok.result == "ok"
    return reg, ok


def _door_arrivals(event, staff, day):
    """Four arrivals at the door, UTC: 08:46:10, 08:59:59.9, 09:00:00 and 09:31; none between
    09:15 and 09:30."""
    for at in (
        day.replace(hour=8, minute=46, second=10),
        day.replace(hour=8, minute=59, second=59, microsecond=900000),
        day.replace(hour=9),
        day.replace(hour=9, minute=31),
    ):
        _admit(event, staff, at)


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (WINTER, "Europe/London", [("08:45", 2), ("09:00", 1), ("09:15", 0), ("09:30", 1)]),
        (SUMMER, "Europe/London", [("09:45", 2), ("10:00", 1), ("10:15", 0), ("10:30", 1)]),
        (WINTER, "Asia/Kolkata", [("14:15", 2), ("14:30", 1), ("14:45", 0), ("15:00", 1)]),
    ],
    ids=["gmt", "bst", "utc+0530"],
)
def test_arrivals_are_local_quarter_hours_with_the_gaps_filled(app, day, tz, expected):
    event, staff = _event(day, tz)
    _door_arrivals(event, staff, day)

    assert live_counts(event).arrivals == expected


def test_arrivals_in_buckets_of_another_size(app):
    event, staff = _event(WINTER)
    _door_arrivals(event, staff, WINTER)

    assert live_counts(event, bucket_minutes=10).arrivals == [
        ("08:40", 1),
        ("08:50", 1),
        ("09:00", 1),
        ("09:10", 0),
        ("09:20", 0),
        ("09:30", 1),
    ]


def test_arrivals_count_the_door_only_and_not_undone_admissions(app):
    event, staff = _event(WINTER)
    talk = make_session(event, title="Keynote")
    reg, _ = _admit(event, staff, WINTER.replace(hour=8, minute=50))
    _admit(event, staff, WINTER.replace(hour=9, minute=40), reg=reg, session_id=talk.id)
    _, undone = _admit(event, staff, WINTER.replace(hour=9, minute=50))
    undo_checkin(event, staff, undone.checkin_id, now=WINTER.replace(hour=9, minute=51))

    counts = live_counts(event)

    assert counts.arrivals == [("08:45", 1)]
    assert counts.checked_in == 1


def test_no_arrivals_yet_is_an_empty_chart(app):
    event, _ = _event(WINTER)
    make_registration(event)

    counts = live_counts(event)

    assert (counts.arrivals, counts.recent, counts.checked_in, counts.expected) == ([], [], 0, 1)


@pytest.mark.parametrize(("day", "first"), [(WINTER, "09:00"), (SUMMER, "10:00")])
def test_recent_lists_the_last_ten_admissions_newest_first_in_local_time(app, day, first):
    event, staff = _event(day)
    talk = make_session(event, title="Keynote")
    regs = []
    for i in range(11):
        reg, _ = _admit(event, staff, day.replace(hour=9, minute=i), name=f"Delegate {i:02d}")
        regs.append(reg)
    _admit(event, staff, day.replace(hour=9, minute=30), reg=regs[0], session_id=talk.id)

    recent = live_counts(event).recent

    assert len(recent) == 10
    assert recent[0] == {
        "time": f"{first[:2]}:30",
        "name": "Delegate 00",
        "point": "Keynote",
    }
    assert recent[1] == {"time": f"{first[:2]}:10", "name": "Delegate 10", "point": "Entrance"}
    assert [r["name"] for r in recent[1:]] == [f"Delegate {i:02d}" for i in range(10, 1, -1)]


def test_points_expect_the_booked_at_workshops_and_every_confirmed_delegate_elsewhere(app):
    event, staff = _event(SUMMER)
    keynote = make_session(event, start_offset=timedelta(hours=1), title="Keynote")
    workshop = make_session(
        event, start_offset=timedelta(hours=2), title="Lean workshop", capacity=20
    )
    confirmed = [make_registration(event) for _ in range(3)]
    make_registration(event, status="pending_benchmark")
    make_registration(event, status="pending_payment")
    make_registration(event, status="waitlisted")
    make_booking(workshop, confirmed[0])
    make_booking(workshop, confirmed[1], status="waitlisted")
    at = SUMMER.replace(hour=10)
    _admit(event, staff, at, reg=confirmed[0])
    _admit(event, staff, at, reg=confirmed[0], session_id=workshop.id)

    counts = live_counts(event)

    day = SUMMER.strftime("%a")  # sessions at 09:00 and 10:00 UTC, shown in BST
    assert (counts.checked_in, counts.expected, counts.needs_attention) == (1, 3, 2)
    assert [
        (p.session_id, p.title, p.starts_local, p.checked_in, p.expected, p.bookable)
        for p in counts.points
    ] == [
        (None, "Entrance", "", 1, 3, False),
        (keynote.id, "Keynote", f"{day} 10:00", 0, 3, False),
        (workshop.id, "Lean workshop", f"{day} 11:00", 1, 1, True),
    ]


def test_another_events_activity_never_counts(app):
    """Two events on one day, with their own registrations, bookings, admissions and workshop
    check-ins: each screen counts only its own."""
    event, staff = _event(WINTER)
    workshop = make_session(event, start_offset=timedelta(hours=1), title="Kaizen", capacity=5)
    other, other_staff = _event(WINTER)
    other_workshop = make_session(
        other, start_offset=timedelta(hours=1), title="Kaizen too", capacity=5
    )
    mine = [make_registration(event) for _ in range(2)]
    make_booking(workshop, mine[0])
    _admit(event, staff, WINTER.replace(hour=8, minute=50), reg=mine[0])
    _admit(event, staff, WINTER.replace(hour=9, minute=5), reg=mine[0], session_id=workshop.id)
    theirs = [make_registration(other) for _ in range(4)]
    make_registration(other, status="pending_benchmark")
    for reg in theirs[:3]:
        make_booking(other_workshop, reg)
        _admit(other, other_staff, WINTER.replace(hour=10), reg=reg, name=None)
        _admit(other, other_staff, WINTER.replace(hour=10, minute=5), reg=reg,
               session_id=other_workshop.id)  # fmt: skip

    counts = live_counts(event)

    assert (counts.checked_in, counts.expected, counts.needs_attention) == (1, 2, 0)
    assert [(p.title, p.checked_in, p.expected) for p in counts.points] == [
        ("Entrance", 1, 2),
        ("Kaizen", 1, 1),
    ]
    assert counts.arrivals == [("08:45", 1)]
    assert [r["point"] for r in counts.recent] == ["Kaizen", "Entrance"]
    other_counts = live_counts(other)
    assert (other_counts.checked_in, other_counts.expected) == (3, 4)
    assert other_counts.arrivals == [("10:00", 3)]
