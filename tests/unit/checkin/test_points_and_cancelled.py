"""Check-in points come from the published agenda (no drafts, no breaks, nothing cancelled);
a cancelled event refuses every scan."""

import uuid

from sqlalchemy import func, select

from app.checkin.models import CheckIn, ScanLog
from app.checkin.services import checkin_points, redeem_ticket
from app.events.published import snapshot
from app.extensions import db
from tests.factories import make_event, make_organisation, make_session, make_user
from tests.factories_checkin import make_door_staff, make_registration


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_points_are_published_sessions_without_breaks_or_cancelled(app):
    event = make_event()
    make_session(event, title="Keynote")
    make_session(event, title="Draft talk", publish=False)
    make_session(event, title="Coffee", kind="break")
    gone = make_session(event, title="Gone panel")
    gone.status = "cancelled"
    gone.published = snapshot(gone)
    moved_off = make_session(event, title="Cancelled in the draft only")
    moved_off.status = "cancelled"  # not yet published: the public agenda still has it
    make_session(event, title="Lean workshop", capacity=12)
    make_session(make_event(), title="Another event's talk")
    db.session.flush()

    points = checkin_points(event)

    # same start time: in the order they were created
    assert [p.title for p in points] == ["Keynote", "Cancelled in the draft only", "Lean workshop"]
    assert {p.title: p.is_bookable for p in points}["Lean workshop"] is True


def test_cancelled_event_refuses_every_scan(app):
    event = make_event(status="cancelled")
    other = make_event()
    staff = make_door_staff(event)
    ada = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    stranger = make_registration(other)

    def scan(**kw):
        return redeem_ticket(event, staff, nonce=str(uuid.uuid4()), **kw)

    mine = scan(code=ada.ticket_secret)
    by_name = scan(registration_id=ada.id)
    foreign = scan(code=stranger.ticket_secret)
    junk = scan(code="JRN1-NOTAREALTICKETATALLNOPE")

    assert (mine.result, mine.name, mine.organisation, mine.tone) == (
        "event_cancelled",
        "Ada Lovelace",
        "Anglia Castings",
        "red",
    )
    assert mine.headline == "Refused: event cancelled"
    assert by_name.result == "event_cancelled"
    assert (foreign.result, foreign.name, foreign.other_event) == ("event_cancelled", None, None)
    assert (junk.result, junk.name) == ("event_cancelled", None)
    assert count(CheckIn) == 0
    results = db.session.execute(select(ScanLog.result, ScanLog.registration_id)).all()
    assert sorted(results, key=str) == sorted(
        [
            ("event_cancelled", ada.id),
            ("event_cancelled", ada.id),
            ("event_cancelled", None),
            ("event_cancelled", None),
        ],
        key=str,
    )
