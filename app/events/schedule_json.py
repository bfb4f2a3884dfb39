"""The published agenda as frab JSON (`schedule.json`), the JSON twin of schedule.xml that
pretalx and frab serve to schedule apps, valid against the c3voc schedule JSON schema.

Same content as schedule.xml: local times with their offset, cancelled sessions left out,
sessions without a room placed at the venue.
"""

from __future__ import annotations

import uuid

from app.events.models import Event
from app.events.schedule_xml import (
    UNASSIGNED_ROOM,
    acronym,
    guid,
    hhmm,
    person_guid,
    session_slug,
)
from app.timeutil import to_local

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"


def schedule_json(event: Event, view, version: int | None, base_url: str) -> dict:
    """`view` is the public agenda: its days, each with items (session, room, speakers)."""
    tz = event.timezone
    base_url = base_url.rstrip("/")
    event_url = f"{base_url}/events/{event.slug}"
    agenda_url = f"{event_url}/agenda"
    no_room = event.venue.name if event.venue is not None else UNASSIGNED_ROOM
    days = [day for day in view.days if any(not i.session.is_cancelled for i in day.items)]

    room_names: list[str] = []
    tracks: list[str] = []
    out_days = []
    for index, day in enumerate(days, start=1):
        first = min(to_local(i.session.starts_at, tz) for i in day.items)
        midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
        rooms: dict[str, list[dict]] = {}
        for item in day.items:
            session = item.session
            if session.is_cancelled:
                continue
            room_name = item.room.name if item.room is not None else no_room
            if room_name not in room_names:
                room_names.append(room_name)
            if session.track and session.track not in tracks:
                tracks.append(session.track)
            starts, ends = to_local(session.starts_at, tz), to_local(session.ends_at, tz)
            minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
            url = f"{agenda_url}#s-{session.id}"
            rooms.setdefault(room_name, []).append(
                {
                    "guid": guid(session.uid),
                    "id": session.id,
                    "date": starts.isoformat(),
                    "start": starts.strftime("%H:%M"),
                    "end": ends.isoformat(),
                    "duration": hhmm(minutes),
                    "room": room_name,
                    "slug": session_slug(event, session.id, session.title),
                    "url": url,
                    "title": session.title,
                    "subtitle": "",
                    "track": session.track or None,
                    "type": session.kind,
                    "language": "en",
                    "abstract": session.abstract or "",
                    "description": "",
                    "persons": [_person(s, base_url) for s in item.speakers],
                    "links": [{"url": url, "title": "Agenda", "type": "web"}],
                    "attachments": [],
                }
            )
        out_days.append(
            {
                "index": index,
                "date": day.day.isoformat(),
                "day_start": midnight.isoformat(),
                "day_end": midnight.replace(hour=23, minute=59, second=59).isoformat(),
                "rooms": rooms,
            }
        )

    conference = {
        "acronym": acronym(event.slug),
        "title": event.title,
        "start": to_local(event.starts_at, tz).date().isoformat(),
        "end": to_local(event.ends_at, tz).date().isoformat(),
        "daysCount": len(out_days),
        "timeslot_duration": "00:05",
        "time_zone_name": tz,
        "url": event_url,
        "rooms": [
            {"name": name, "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event_url}#{name}"))}
            for name in room_names
        ],
        "tracks": [{"name": name} for name in tracks],
        "days": out_days,
    }
    return {
        "$schema": SCHEMA_URL,
        "generator": {"name": "Journey"},
        "schedule": {
            "url": f"{event_url}/schedule.json",
            "version": str(version or 0),
            "base_url": f"{base_url}/",
            "conference": conference,
        },
    }


def _person(speaker, base_url: str) -> dict:
    # frab's shape (integer id and public_name): the schema accepts one shape per person.
    url = f"{base_url}/speakers/{speaker.slug}"
    return {"id": speaker.id, "guid": person_guid(url), "public_name": speaker.name, "url": url}
