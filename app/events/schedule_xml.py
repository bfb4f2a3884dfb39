"""The published agenda as a frab-style `schedule.xml`, the format conference schedule apps
(Giggity, ConfClerk, Fahrplan) and pretalx exchange.

Elements follow the c3voc schedule.xml schema: <schedule> holds <version>, <conference> and one
<day> per date, each with its rooms and their events. Times are local to the event with their
UTC offset. Cancelled sessions are left out: these apps reload the whole file, so a session
that disappears is gone from them too.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from xml.etree import ElementTree as ET

from app.events.models import Event
from app.timeutil import to_local

# Sessions without a room (breaks, site visits) are placed at the venue itself.
UNASSIGNED_ROOM = "Main venue"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def acronym(slug: str) -> str:
    """The event's slug as the schemas' acronym: no hyphen, at least four characters."""
    return slug.replace("-", "_").ljust(4, "_")


def session_slug(event: Event, session_id: int, title: str) -> str:
    """<acronym>-<id>-<title> as the schemas want it (no trailing hyphen when the title
    has no letters)."""
    return "-".join(p for p in (acronym(event.slug), str(session_id), _slug(title)) if p)


def guid(uid: str) -> str:
    """The session's calendar UID as a UUID, which these apps expect; stable like the UID."""
    try:
        return str(uuid.UUID(hex=uid))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, uid))


def person_guid(speaker_url: str) -> str:
    """A stable UUID for a speaker, from their public page's address."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, speaker_url))


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _add(parent: ET.Element, tag: str, text: str = "", **attrs) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    child.text = text
    return child


def schedule_xml(event: Event, view, version: int | None, agenda_url: str, base_url: str) -> bytes:
    """`view` is the public agenda: its days, each with items (session, room, speakers)."""
    tz = event.timezone
    base_url = base_url.rstrip("/")
    no_room = event.venue.name if event.venue is not None else UNASSIGNED_ROOM
    days = [day for day in view.days if any(not i.session.is_cancelled for i in day.items)]
    root = ET.Element("schedule")
    _add(root, "version", str(version or 0))
    conference = _add(root, "conference")
    _add(conference, "title", event.title)
    _add(conference, "acronym", event.slug.ljust(4, "_"))
    _add(conference, "start", to_local(event.starts_at, tz).date().isoformat())
    _add(conference, "end", to_local(event.ends_at, tz).date().isoformat())
    _add(conference, "days", str(len(days)))
    _add(conference, "timeslot_duration", "00:05")
    _add(conference, "base_url", f"{base_url}/")
    _add(conference, "url", f"{base_url}/events/{event.slug}")
    _add(conference, "time_zone_name", tz)

    for index, day in enumerate(days, start=1):
        first = min(to_local(i.session.starts_at, tz) for i in day.items)
        midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
        last = midnight.replace(hour=23, minute=59, second=59)
        day_el = _add(
            root, "day", index=index, date=day.day.isoformat(),
            start=midnight.isoformat(), end=last.isoformat(),
        )  # fmt: skip
        rooms: dict[str, ET.Element] = {}
        for item in day.items:
            session = item.session
            if session.is_cancelled:
                continue
            room_name = item.room.name if item.room is not None else no_room
            if room_name not in rooms:
                rooms[room_name] = _add(day_el, "room", name=room_name)
            starts = to_local(session.starts_at, tz)
            minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
            el = _add(
                rooms[room_name], "event",
                guid=guid(session.uid), id=session.id,
            )  # fmt: skip
            _add(el, "room", room_name)
            _add(el, "title", session.title)
            _add(el, "subtitle")
            _add(el, "type", session.kind)
            _add(el, "date", starts.isoformat())
            _add(el, "start", starts.strftime("%H:%M"))
            _add(el, "duration", hhmm(minutes))
            _add(el, "abstract", session.abstract or "")
            _add(el, "slug", session_slug(event, session.id, session.title))
            _add(el, "track", session.track or "")
            _add(el, "language", "en")
            persons = _add(el, "persons")
            for speaker in item.speakers:
                speaker_url = f"{base_url}/speakers/{speaker.slug}"
                _add(persons, "person", speaker.name, id=speaker.id, guid=person_guid(speaker_url))
            _add(el, "url", f"{agenda_url}#s-{session.id}")
            links = _add(el, "links")
            _add(links, "link", "Agenda", href=f"{agenda_url}#s-{session.id}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
