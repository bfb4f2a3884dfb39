"""The agenda as frab schedule.xml for conference apps: structure, times, caching, queries."""

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

from lxml import etree

from app.events.published import snapshot
from app.extensions import db
from tests.factories import make_event, make_session, make_speaker, make_venue
from tests.http.test_agenda_public import _make_large_agenda, _queries_for

# What the c3voc schedule.xml schema asks of every <event>.
EVENT_CHILDREN = {"room", "title", "subtitle", "type", "date", "start", "duration", "abstract",
                  "slug", "track", "language", "persons", "url", "links"}  # fmt: skip
XSD = etree.XMLSchema(
    etree.parse(str(Path(__file__).parents[1] / "vendor" / "c3voc" / "schedule.xml.xsd"))
)


def _assert_valid(body: bytes) -> None:
    document = etree.fromstring(body)
    assert XSD.validate(document), XSD.error_log


START = re.compile(r"^[0-2][0-9]:[0-5][0-9]$")
DURATION = re.compile(r"^[0-9]{1,2}:[0-9]{2}$")


def _two_day_summer_event():
    venue = make_venue(rooms=2)
    event = make_event(slug="lean-forum", title="Lean Forum", venue=venue)
    # 08:00 UTC on a July day is 09:00 in London (BST); two days.
    event.starts_at, event.ends_at = datetime(2027, 7, 6, 8, 0), datetime(2027, 7, 7, 16, 0)
    db.session.flush()
    ann = make_speaker("Ann Example")
    bob = make_speaker("Bob Example")
    talk = make_session(event, start_offset=timedelta(minutes=15), minutes=45, title="Cells <b>&",
                        speakers=[ann, bob], track="Lean", kind="talk",
                        abstract="How we halved lead time.")  # fmt: skip
    visit = make_session(event, start_offset=timedelta(days=1, hours=1), minutes=90,
                         title="Factory tour", kind="visit", room=None)  # fmt: skip
    visit.room = None  # a site visit happens around the host's site, not in a room
    db.session.flush()
    visit.published = snapshot(visit)
    make_session(event, start_offset=timedelta(hours=2), title="Called off", status="cancelled")
    make_session(event, start_offset=timedelta(hours=3), title="Not yet public", publish=False)
    return event, talk, visit


def test_schedule_xml_has_the_frab_structure_in_local_time(client):
    event, talk, visit = _two_day_summer_event()
    db.session.commit()
    (ann_id, ann_slug), (bob_id, _) = [(s.id, s.slug) for s in talk.speakers]
    response = client.get("/events/lean-forum/schedule.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(response.data)
    assert root.tag == "schedule"
    assert [child.tag for child in root][:2] == ["version", "conference"]
    conference = root.find("conference")
    assert {c.tag: c.text for c in conference} == {
        "title": "Lean Forum", "acronym": "lean-forum", "start": "2027-07-06",
        "end": "2027-07-07", "days": "2", "timeslot_duration": "00:05",
        "base_url": "http://localhost/", "url": "http://localhost/events/lean-forum",
        "time_zone_name": "Europe/London",
    }  # fmt: skip
    _assert_valid(response.data)

    days = root.findall("day")
    assert [(d.get("index"), d.get("date")) for d in days] == [
        ("1", "2027-07-06"),
        ("2", "2027-07-07"),
    ]
    assert days[0].get("start") == "2027-07-06T00:00:00+01:00"
    [room] = days[0].findall("room")
    [first] = room.findall("event")
    assert first.get("id") == str(talk.id)
    assert first.get("guid") == str(uuid.UUID(hex=talk.uid))
    values = {c.tag: c.text or "" for c in first}
    assert set(values) == EVENT_CHILDREN
    assert values["title"] == "Cells <b>&"  # escaped in the file, itself when parsed
    assert b"Cells &lt;b&gt;&amp;" in response.data
    assert values["date"] == "2027-07-06T09:15:00+01:00"
    assert (values["start"], values["duration"]) == ("09:15", "00:45")
    assert values["room"] == room.get("name") == event.venue.rooms[0].name
    assert (values["type"], values["track"]) == ("talk", "Lean")
    assert values["abstract"] == "How we halved lead time."
    persons = first.find("persons")
    assert [p.text for p in persons] == ["Ann Example", "Bob Example"]
    assert [p.get("id") for p in persons] == [str(ann_id), str(bob_id)]
    assert persons[0].get("guid") == str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"http://localhost/speakers/{ann_slug}")
    )
    assert first.findtext("url") == f"http://localhost/events/lean-forum/agenda#s-{talk.id}"
    assert first.find("links/link").get("href").endswith(f"/events/lean-forum/agenda#s-{talk.id}")
    # A session without a room is still placed; cancelled and unpublished ones are not there.
    [tour] = days[1].findall("room/event")
    assert tour.findtext("title") == "Factory tour"
    assert tour.findtext("room") == event.venue.name and tour.findtext("duration") == "01:30"
    titles = [e.findtext("title") for e in root.iter("event")]
    assert "Called off" not in titles and "Not yet public" not in titles


def test_every_event_meets_the_schema_patterns_with_unique_ids(client):
    _make_large_agenda(60, 10, "big-forum")
    db.session.commit()
    body = client.get("/events/big-forum/schedule.xml").data
    _assert_valid(body)
    root = ET.fromstring(body)
    events = list(root.iter("event"))
    assert len(events) == 60
    for e in events:
        assert {c.tag for c in e} == EVENT_CHILDREN
        assert START.match(e.findtext("start")) and DURATION.match(e.findtext("duration"))
        datetime.fromisoformat(e.findtext("date"))  # an ISO date-time with its offset
        uuid.UUID(e.get("guid"))
        assert int(e.get("id")) > 0
    for key in (lambda e: e.get("guid"), lambda e: e.get("id"), lambda e: e.findtext("slug")):
        assert len({key(e) for e in events}) == 60


def test_schedule_xml_revalidates_and_follows_publishing(client):
    event, talk, _visit = _two_day_summer_event()
    db.session.commit()
    first = client.get("/events/lean-forum/schedule.xml")
    etag = first.headers["ETag"]
    again = client.get("/events/lean-forum/schedule.xml", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_session(event, start_offset=timedelta(hours=5), title="Late addition")
    db.session.commit()
    changed = client.get("/events/lean-forum/schedule.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert b"Late addition" in changed.data


def test_schedule_xml_only_for_published_events(client):
    make_event(slug="hidden", status="draft")
    db.session.commit()
    assert client.get("/events/hidden/schedule.xml").status_code == 404
    assert client.get("/events/no-such-event/schedule.xml").status_code == 404


def test_schedule_xml_runs_a_fixed_number_of_queries(client, count_queries):
    _make_large_agenda(3, 2, "small")
    _make_large_agenda(300, 100, "large")
    db.session.commit()
    small = _queries_for(client, count_queries, "/events/small/schedule.xml")
    large = _queries_for(client, count_queries, "/events/large/schedule.xml")
    assert small == large + 1 <= 7  # the public version is read once within the bound
    assert _queries_for(client, count_queries, "/events/large/schedule.xml") == 0  # kept


def test_xsd_refuses_what_it_should():
    """The vendored schema is live: a document missing a required part fails it."""
    assert not XSD.validate(etree.fromstring(b"<schedule><version>1</version></schedule>"))
