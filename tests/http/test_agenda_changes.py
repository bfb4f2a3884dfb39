"""Agenda versions: every publish is recorded with what it changed, shown to the public as a
change log, and speakers hear when their own sessions move or are cancelled."""

from datetime import timedelta

from sqlalchemy import func, select

from app.events.models import AgendaSession, AgendaVersion, EventStatus
from app.extensions import db
from app.registration.models import EmailLog
from tests.clock import next_winter_day
from tests.factories import make_event, make_session, make_speaker, make_user, organiser


def _publish(client, event):
    return client.post(f"/organiser/events/{event.id}/agenda/publish", follow_redirects=True)


def _versions(event_id) -> list[AgendaVersion]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(AgendaVersion)
            .where(AgendaVersion.event_id == event_id)
            .order_by(AgendaVersion.number)
        ).scalars()
    )


def _edit(session_id, **changes):
    session = db.session.get(AgendaSession, session_id)
    for name, value in changes.items():
        setattr(session, name, value)
    db.session.commit()


def test_each_publish_records_a_version_with_what_changed(client, login):
    event = make_event(slug="forum", starts_at=next_winter_day())  # GMT: UTC == London
    rooms = event.venue.rooms
    mover = make_session(event, timedelta(hours=1), title="Lean basics", publish=False)
    dropped = make_session(event, timedelta(hours=2), title="Robots", publish=False)
    renamed = make_session(event, timedelta(hours=3), title="Data day", publish=False)
    boss = organiser()
    db.session.commit()
    ids = (mover.id, dropped.id, renamed.id)
    login(boss)

    first = _publish(client, event).get_data(as_text=True)
    assert "Agenda published: 3 session(s) updated. Version 1." in first
    [v1] = _versions(event.id)
    assert (v1.number, v1.published_by_id) == (1, boss.id)
    assert sorted(c["change"] for c in v1.changes) == ["new", "new", "new"]

    later = event.starts_at + timedelta(hours=5)
    _edit(ids[0], starts_at=later, ends_at=later + timedelta(minutes=45), room_id=rooms[1].id)
    client.post(
        f"/organiser/events/{event.id}/agenda/sessions/{ids[1]}/cancel", data={"confirm": "yes"}
    )
    _edit(ids[2], title="Data and digital day")
    make_session(event, timedelta(hours=6), title="Late addition", publish=False)
    db.session.commit()
    assert "Version 2." in _publish(client, event).get_data(as_text=True)

    v2 = _versions(event.id)[1]
    by_title = {c["title"]: c for c in v2.changes}
    assert {t: c["change"] for t, c in by_title.items()} == {
        "Lean basics": "moved",
        "Robots": "cancelled",
        "Data and digital day": "updated",
        "Late addition": "new",
    }
    time_note, room_note = by_title["Lean basics"]["notes"]
    assert "09:00–09:45 →" in time_note and time_note.endswith("13:00–13:45")
    assert room_note == "room Room 1 → Room 2"
    assert by_title["Data and digital day"]["notes"] == ["title"]

    # Publishing again with nothing changed makes no version.
    assert "Nothing to publish" in _publish(client, event).get_data(as_text=True)
    assert len(_versions(event.id)) == 2

    page = client.get("/events/forum/agenda/changes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Version 2") < html.index("Version 1")
    assert "First published with 3 sessions." in html
    for heading in ("Moved", "Cancelled", "New", "Details updated"):
        assert f">{heading} <span" in html
    assert "Back on" not in html
    assert "room Room 1 → Room 2" in html
    assert f'/events/forum/agenda#s-{ids[0]}">Lean basics</a>' in html

    agenda = client.get("/events/forum/agenda").get_data(as_text=True)
    assert 'href="/events/forum/agenda/changes">What changed</a>' in agenda
    assert client.get("/events/forum/agenda.json").get_json()["agenda_version"] == 2
    builder = client.get(f"/organiser/events/{event.id}/agenda").get_data(as_text=True)
    assert "Version 2 ·" in builder and "Version 1 ·" in builder


def test_a_restored_session_is_listed_as_back_on(client, login):
    event = make_event(slug="again")
    session = make_session(event, title="Plant tour")
    boss = organiser()
    db.session.commit()
    login(boss)
    client.post(
        f"/organiser/events/{event.id}/agenda/sessions/{session.id}/cancel", data={"confirm": "yes"}
    )
    _publish(client, event)
    client.post(f"/organiser/events/{event.id}/agenda/sessions/{session.id}/restore")
    _publish(client, event)
    assert [v.changes[0]["change"] for v in _versions(event.id)] == ["cancelled", "restored"]
    assert ">Back on <span" in client.get("/events/again/agenda/changes").get_data(as_text=True)


def test_speakers_with_accounts_hear_about_their_own_moved_or_cancelled_sessions(
    client, login, outbox
):
    event = make_event(slug="talks", title="Productivity Forum")
    ann = make_speaker("Ann Speaker", user=make_user(email="ann@example.com"))
    bob = make_speaker("Bob Speaker", user=make_user(email="bob@example.com"))
    no_account = make_speaker("Cy Speaker")
    moved = make_session(event, timedelta(hours=1), title="Flow", speakers=[ann, no_account])
    cancelled = make_session(event, timedelta(hours=2), title="Kaizen", speakers=[ann])
    retitled = make_session(event, timedelta(hours=3), title="Skills", speakers=[bob])
    boss = organiser()
    db.session.commit()
    login(boss)
    _edit(moved.id, starts_at=moved.starts_at + timedelta(hours=4),
          ends_at=moved.ends_at + timedelta(hours=4))  # fmt: skip
    client.post(
        f"/organiser/events/{event.id}/agenda/sessions/{cancelled.id}/cancel",
        data={"confirm": "yes"},
    )
    _edit(retitled.id, title="Skills for the future")  # not a schedule change: no email

    response = _publish(client, event).get_data(as_text=True)
    assert "1 speaker(s) were emailed." in response
    assert [m["To"] for m in outbox] == ["ann@example.com"]
    [message] = outbox
    assert message["Subject"] == "Your session at Productivity Forum has changed"
    body = message.get_body(("plain",)).get_content()
    assert "“Flow” has moved: it was" in body and "“Kaizen” has been cancelled." in body
    assert "booking" not in body
    logged = db.session.execute(
        select(EmailLog).where(EmailLog.kind == "speaker_agenda_change")
    ).scalar_one()
    assert logged.extra == {
        "speaker_id": ann.id,
        "session_ids": [cancelled.id, moved.id],
    }  # in time order


def test_change_log_is_public_only_for_public_events_and_costs_fixed_queries(
    client, login, count_queries
):
    draft = make_event(status=EventStatus.DRAFT, slug="hidden")
    event = make_event(slug="busy")
    sessions = [make_session(event, timedelta(minutes=50 * n), minutes=45) for n in range(6)]
    boss = organiser()
    db.session.commit()
    assert client.get("/events/hidden/agenda/changes").status_code == 404
    assert client.get("/events/nope/agenda/changes").status_code == 404
    assert draft.id

    login(boss)
    for session in sessions:
        _edit(session.id, title=session.title + " (updated)")
        _publish(client, event)
    client.post("/auth/logout")
    client.get("/")  # shows "signed out": a page with a message of one's own is never kept
    assert db.session.execute(select(func.count(AgendaVersion.id))).scalar_one() == 6
    with count_queries() as queries:
        response = client.get("/events/busy/agenda/changes")
    assert response.status_code == 200 and response.get_data(as_text=True).count("<section") == 6
    assert len(queries) <= 4
    again = client.get(
        "/events/busy/agenda/changes", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
