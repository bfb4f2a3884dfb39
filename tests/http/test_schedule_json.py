"""The agenda as frab JSON (schedule.json) for schedule apps: valid against the vendored c3voc
schema, the same content as schedule.xml, caching and a fixed number of queries."""

import json
import uuid
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from app.extensions import db
from tests.factories import make_event, make_session
from tests.http.test_agenda_public import _make_large_agenda, _queries_for
from tests.http.test_schedule_xml import _two_day_summer_event

VENDOR = Path(__file__).parents[1] / "vendor" / "c3voc"
SCHEMA = json.loads((VENDOR / "schedule.schema.json").read_text())
VALIDATOR = jsonschema.Draft6Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def _errors(document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_vendored_schema_accepts_pretalx_and_refuses_a_broken_document():
    assert _errors(json.loads((VENDOR / "pretalx-democon.json").read_text())) == []
    assert _errors({"schedule": {"version": "1"}}) == [
        "['schedule']: 'conference' is a required property"
    ]


def test_schedule_json_is_valid_frab_json_in_local_time(client):
    event, talk, visit = _two_day_summer_event()
    db.session.commit()
    ann, bob = talk.speakers
    response = client.get("/events/lean-forum/schedule.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert _errors(document) == []

    schedule = document["schedule"]
    assert schedule["base_url"] == "http://localhost/"
    assert schedule["url"] == "http://localhost/events/lean-forum/schedule.json"
    conference = schedule["conference"]
    assert {k: v for k, v in conference.items() if k not in ("days", "rooms", "tracks")} == {
        "acronym": "lean_forum", "title": "Lean Forum", "start": "2027-07-06",
        "end": "2027-07-07", "daysCount": 2, "timeslot_duration": "00:05",
        "time_zone_name": "Europe/London", "url": "http://localhost/events/lean-forum",
    }  # fmt: skip
    assert conference["tracks"] == [{"name": "Lean"}]
    days = conference["days"]
    assert [(d["index"], d["date"], d["day_start"]) for d in days] == [
        (1, "2027-07-06", "2027-07-06T00:00:00+01:00"),
        (2, "2027-07-07", "2027-07-07T00:00:00+01:00"),
    ]
    room_name = event.venue.rooms[0].name
    [first] = days[0]["rooms"][room_name]
    assert first["guid"] == str(uuid.UUID(hex=talk.uid))
    assert first["id"] == talk.id
    assert first["title"] == "Cells <b>&"
    assert (first["date"], first["start"], first["duration"]) == (
        "2027-07-06T09:15:00+01:00", "09:15", "00:45",
    )  # fmt: skip
    assert first["end"] == "2027-07-06T10:00:00+01:00"
    assert first["url"] == f"http://localhost/events/lean-forum/agenda#s-{talk.id}"
    assert first["persons"] == [
        {
            "id": s.id,
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"http://localhost/speakers/{s.slug}")),
            "public_name": s.name,
            "url": f"http://localhost/speakers/{s.slug}",
        }
        for s in (ann, bob)
    ]
    # The room-less visit is at the venue; cancelled and unpublished sessions are absent.
    [tour] = days[1]["rooms"][event.venue.name]
    assert (tour["title"], tour["duration"]) == ("Factory tour", "01:30")
    titles = [e["title"] for d in days for r in d["rooms"].values() for e in r]
    assert sorted(titles) == ["Cells <b>&", "Factory tour"]
    assert [r["name"] for r in conference["rooms"]] == [room_name, event.venue.name]


def test_a_title_without_letters_still_gives_a_valid_slug(client):
    event = make_event(slug="tiny")
    make_session(event, title="!!!")
    db.session.commit()
    document = client.get("/events/tiny/schedule.json").get_json()
    assert _errors(document) == []
    [day] = document["schedule"]["conference"]["days"]
    [talk] = [e for r in day["rooms"].values() for e in r]
    assert talk["slug"] == f"tiny-{talk['id']}"


@pytest.mark.parametrize("path", ["/events/hidden/schedule.json", "/events/nope/schedule.json"])
def test_schedule_json_only_for_published_events(client, path):
    make_event(slug="hidden", status="draft")
    db.session.commit()
    assert client.get(path).status_code == 404


def test_schedule_json_revalidates_and_runs_a_fixed_number_of_queries(
    client, count_queries, page_clock
):
    _make_large_agenda(3, 2, "small")
    event = _make_large_agenda(300, 100, "large")
    db.session.commit()
    small = _queries_for(client, count_queries, "/events/small/schedule.json")
    large = _queries_for(client, count_queries, "/events/large/schedule.json")
    assert small == large + 1 <= 7  # the public version is read once within the bound
    assert _queries_for(client, count_queries, "/events/large/schedule.json") == 0  # kept
    first = client.get("/events/large/schedule.json")
    assert _errors(first.get_json()) == []
    etag = first.headers["ETag"]
    again = client.get("/events/large/schedule.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_session(event, start_offset=timedelta(hours=9), title="Late addition")
    db.session.commit()
    changed = client.get("/events/large/schedule.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"Late addition" in changed.data
