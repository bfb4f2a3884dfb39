"""Agenda rules: clashes refused with a message naming them, draft and publish, emails."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.events.agenda_publishing import publish_agenda
from app.events.agenda_services import (
    AgendaError,
    SessionData,
    cancel_session,
    create_session,
    describe_changes,
    draft_state,
    move_session,
    resize_session,
    restore_session,
    update_session,
)
from app.events.models import AgendaSession
from app.events.published import published_sessions
from app.extensions import db
from app.registration.models import EmailLog
from tests.factories import make_event, make_session, make_speaker, make_venue, organiser
from tests.factories_agenda import make_booking


def _data(event, title="Talk", start_h=2, minutes=45, room=None, speakers=(), **kw):
    starts = event.starts_at + timedelta(hours=start_h)
    return SessionData(
        title=title,
        kind=kw.pop("kind", "talk"),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        room_id=(room or event.venue.rooms[0]).id,
        speaker_ids=[s.id for s in speakers],
        **kw,
    )


def _count():
    return db.session.execute(select(func.count(AgendaSession.id))).scalar_one()


def test_create_session_saves_speakers_in_order(app):
    event, a, b = make_event(), make_speaker("Ann"), make_speaker("Bob")
    session = create_session(organiser(), event, _data(event, speakers=[b, a]))
    assert [s.name for s in session.speakers] == ["Bob", "Ann"]
    assert session.published_at is None and draft_state(session) == "new"


def test_room_double_booking_is_refused_naming_the_other_session(app):
    event = make_event()
    room = event.venue.rooms[0]
    make_session(event, start_offset=timedelta(hours=2), minutes=60, room=room, title="Lean 101")
    before = _count()
    with pytest.raises(AgendaError) as exc:
        create_session(organiser(), event, _data(event, "Clash", start_h=2.5, room=room))
    assert "Room 1 is already booked at that time: “Lean 101”" in str(exc.value)
    assert _count() == before


def _stored(session_id):
    db.session.expire_all()
    s = db.session.get(AgendaSession, session_id)
    return (s.title, s.event_id, s.room_id, s.starts_at, s.ends_at, s.status)


def test_back_to_back_sessions_in_one_room_are_fine(app):
    event = make_event()
    room = event.venue.rooms[0]
    make_session(event, start_offset=timedelta(hours=2), minutes=60, room=room)
    before = _count()
    session = create_session(organiser(), event, _data(event, "Next", start_h=3, room=room))
    assert _count() == before + 1
    starts = event.starts_at + timedelta(hours=3)  # the moment the first one ends
    assert _stored(session.id) == (
        "Next",
        event.id,
        room.id,
        starts,
        starts + timedelta(minutes=45),
        "scheduled",
    )


def test_room_clash_with_another_event_at_the_same_venue(app):
    venue = make_venue()
    first = make_event(venue=venue, title="Spring Forum")
    second = make_event(venue=venue)
    make_session(first, start_offset=timedelta(hours=1), minutes=60, title="Forum talk")
    with pytest.raises(AgendaError, match="“Forum talk” of Spring Forum"):
        create_session(organiser(), second, _data(second, start_h=1))


def test_cancelled_session_does_not_hold_its_room(app):
    event = make_event()
    room = event.venue.rooms[0]
    make_session(event, start_offset=timedelta(hours=2), status="cancelled", room=room)
    before = _count()
    session = create_session(organiser(), event, _data(event, "Instead", start_h=2, room=room))
    assert _count() == before + 1
    starts = event.starts_at + timedelta(hours=2)
    assert _stored(session.id) == (
        "Instead",
        event.id,
        room.id,
        starts,
        starts + timedelta(minutes=45),
        "scheduled",
    )


def test_speaker_double_booking_is_refused(app):
    event = make_event()
    ann = make_speaker("Ann Example")
    make_session(
        event,
        start_offset=timedelta(hours=2),
        room=event.venue.rooms[0],
        speakers=[ann],
        title="Ann's keynote",
    )
    with pytest.raises(AgendaError) as exc:
        create_session(
            organiser(), event, _data(event, start_h=2, room=event.venue.rooms[1], speakers=[ann])
        )
    assert str(exc.value).startswith(
        "Ann Example is already speaking at that time: “Ann's keynote”"
    )
    assert "in Room 1" in str(exc.value)


def test_end_before_start_is_refused(app):
    event = make_event()
    with pytest.raises(AgendaError, match="must end after it starts"):
        create_session(organiser(), event, _data(event, minutes=-30))


def test_session_outside_the_event_dates_is_refused(app):
    event = make_event()
    data = _data(event)
    data.starts_at += timedelta(days=3)
    data.ends_at += timedelta(days=3)
    with pytest.raises(AgendaError, match="outside the event's dates"):
        create_session(organiser(), event, data)


def test_room_of_another_venue_is_refused(app):
    event, elsewhere = make_event(), make_venue()
    with pytest.raises(AgendaError, match="rooms at the event's venue"):
        create_session(organiser(), event, _data(event, room=elsewhere.rooms[0]))


def test_move_keeps_length_and_checks_clashes(app):
    event = make_event()
    rooms = event.venue.rooms
    make_session(event, start_offset=timedelta(hours=4), room=rooms[1], title="Busy")
    session = make_session(event, start_offset=timedelta(hours=1), minutes=45, room=rooms[0])
    move_session(organiser(), session, event.starts_at + timedelta(hours=2), rooms[1].id)
    assert session.ends_at - session.starts_at == timedelta(minutes=45)
    assert session.room_id == rooms[1].id
    with pytest.raises(AgendaError, match="“Busy”"):
        move_session(organiser(), session, event.starts_at + timedelta(hours=4), rooms[1].id)


def test_resize_before_start_is_refused(app):
    event = make_event()
    session = make_session(event)
    with pytest.raises(AgendaError, match="must end after it starts"):
        resize_session(organiser(), session, session.starts_at)


def test_capacity_cannot_drop_below_booked_seats(app):
    event = make_event()
    session = make_session(event, capacity=20, seats_taken=12)
    data = SessionData.of(session)
    data.capacity = 10
    with pytest.raises(AgendaError, match="12 seats are already booked"):
        update_session(organiser(), session, data)


def test_draft_changes_stay_private_until_published(app):
    event = make_event()
    session = make_session(event, title="Original")
    data = SessionData.of(session)
    data.title = "Renamed"
    update_session(organiser(), session, data)
    assert draft_state(session) == "changed"
    assert [s.title for s in published_sessions(event.id)] == ["Original"]
    result = publish_agenda(organiser(), event)
    assert result.published == 1
    assert [s.title for s in published_sessions(event.id)] == ["Renamed"]
    assert session.sequence == 0  # a title is not a schedule change
    assert draft_state(session) is None
    assert event.agenda_published_at is not None


def test_publish_bumps_sequence_only_for_time_room_or_status(app):
    event = make_event()
    moved = make_session(event, start_offset=timedelta(hours=1))
    renamed = make_session(event, start_offset=timedelta(hours=2))
    cancelled = make_session(event, start_offset=timedelta(hours=3))
    untouched = make_session(event, start_offset=timedelta(hours=4))
    move_session(organiser(), moved, moved.starts_at, event.venue.rooms[1].id)
    renamed.title = "New title"
    cancel_session(organiser(), cancelled)
    result = publish_agenda(organiser(), event)
    assert result.published == 3
    assert (moved.sequence, renamed.sequence, cancelled.sequence, untouched.sequence) == (
        1,
        0,
        1,
        0,
    )
    public = {s.id: s for s in published_sessions(event.id)}
    assert public[cancelled.id].status == "cancelled"  # still visible, as cancelled
    assert publish_agenda(organiser(), event).published == 0  # nothing more to do


def test_publish_emails_each_booked_delegate_once_with_every_change(app, outbox):
    event = make_event(title="Spring Forum")
    moved = make_session(event, start_offset=timedelta(hours=1), capacity=10, title="Lean lab")
    dropped = make_session(event, start_offset=timedelta(hours=3), capacity=10, title="Kaizen")
    quiet = make_session(event, start_offset=timedelta(hours=5), capacity=10, title="Quiet")
    first = make_booking(moved)
    make_booking(dropped, user=first.user, status="booked")
    make_booking(quiet)  # booked on a session that does not change: no email
    make_booking(moved, status="waitlisted")  # not booked: no email
    move_session(organiser(), moved, moved.starts_at + timedelta(minutes=30), moved.room_id)
    cancel_session(organiser(), dropped)
    quiet.title = "Quiet (renamed)"
    result = publish_agenda(organiser(), event)
    assert result.notified == 1
    assert outbox == []  # nothing leaves before COMMIT
    db.session.commit()
    assert len(outbox) == 1
    msg = outbox[0]
    assert msg["To"] == first.user.email
    assert msg["Subject"] == "Agenda change: Spring Forum"
    body = msg.get_content()
    assert "“Lean lab” has moved: it was" in body
    assert "“Kaizen” has been cancelled." in body
    logs = db.session.execute(select(EmailLog)).scalars().all()
    assert [(log.kind, log.to) for log in logs] == [("agenda_change", first.user.email)]


def test_cancelling_a_never_published_session_removes_it(app):
    event = make_event()
    session = create_session(organiser(), event, _data(event))
    before = _count()
    assert cancel_session(organiser(), session) is None
    assert _count() == before - 1


def test_cancelled_published_session_is_kept_and_can_be_restored(app):
    event = make_event()
    session = make_session(event)
    assert cancel_session(organiser(), session) is session
    assert session.status == "cancelled" and draft_state(session) == "cancelled"
    restore_session(organiser(), session)
    assert session.status == "scheduled" and draft_state(session) is None


def test_restore_is_refused_when_the_room_was_taken_meanwhile(app):
    event = make_event()
    session = make_session(event, start_offset=timedelta(hours=2))
    cancel_session(organiser(), session)
    make_session(event, start_offset=timedelta(hours=2), title="Replacement")
    with pytest.raises(AgendaError, match="“Replacement”"):
        restore_session(organiser(), session)
    assert session.status == "cancelled"


def test_describe_changes_in_words(app):
    event = make_event()
    session = make_session(event, start_offset=timedelta(hours=1))
    move_session(
        organiser(), session, session.starts_at + timedelta(hours=1), event.venue.rooms[1].id
    )
    rooms = {r.id: r for r in event.venue.rooms}
    notes = describe_changes(session, rooms, event.timezone)
    assert notes[0].startswith("time ")
    assert notes[1] == "room Room 1 → Room 2"
