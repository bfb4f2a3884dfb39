"""Opening an edit form and saving it unchanged changes nothing (times stay in UK time,
speakers, rooms and links survive)."""

from datetime import datetime
from html.parser import HTMLParser

from app.events.models import SessionSpeaker
from app.extensions import db
from app.timeutil import to_utc
from tests.factories import make_event, make_session, make_speaker, make_user


class _FormValues(HTMLParser):
    """What a browser would submit for the first POST form with fields on the page."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select = None
        self._textarea = None
        self._done = False
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and (a.get("method") or "").lower() == "post" and "action" not in a:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.append(
                (a["name"], a.get("value", "y" if a.get("type") == "checkbox" else ""))
            )
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def _resubmit(client, url):
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormValues()
    parser.feed(page.get_data(as_text=True))
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    return client.post(url, data=data)


def test_event_saved_unchanged_keeps_its_uk_times(client, login):
    login(make_user("organiser"))
    event = make_event()
    event.starts_at = to_utc(datetime(2031, 6, 10, 9, 30))  # BST: 08:30 UTC
    event.ends_at = to_utc(datetime(2031, 6, 10, 17, 0))
    db.session.commit()
    before = (event.starts_at, event.ends_at)
    assert "2031-06-10T09:30" in client.get(f"/organiser/events/{event.id}/edit").get_data(True)
    assert _resubmit(client, f"/organiser/events/{event.id}/edit").status_code == 302
    db.session.refresh(event)
    assert (event.starts_at, event.ends_at) == before


def test_session_saved_unchanged_keeps_speakers_room_and_time(client, login):
    login(make_user("organiser"))
    event = make_event()
    alex, bea = make_speaker("Alex"), make_speaker("Bea")
    session = make_session(event, speakers=[alex, bea], room=event.venue.rooms[1])
    roomless = make_session(event, title="Coffee", room=None, kind="break",
                            start_offset=session.ends_at - event.starts_at)  # fmt: skip
    roomless.room_id = None
    db.session.commit()
    before = (session.starts_at, session.ends_at, session.room_id)
    url = f"/organiser/events/{event.id}/agenda/sessions/{session.id}"
    assert _resubmit(client, url).status_code == 302
    db.session.expire_all()
    assert (session.starts_at, session.ends_at, session.room_id) == before
    links = db.session.execute(
        db.select(SessionSpeaker.speaker_id)
        .where(SessionSpeaker.session_id == session.id)
        .order_by(SessionSpeaker.position)
    ).scalars()
    assert list(links) == [alex.id, bea.id]
    url = f"/organiser/events/{event.id}/agenda/sessions/{roomless.id}"
    assert _resubmit(client, url).status_code == 302
    db.session.expire_all()
    assert roomless.room_id is None


def test_speaker_saved_unchanged_keeps_links(client, login):
    login(make_user("organiser"))
    speaker = make_speaker(links=[{"label": "LinkedIn", "url": "https://example.com/in/x"}])
    db.session.commit()
    page = client.get(f"/organiser/speakers/{speaker.id}").get_data(as_text=True)
    assert "LinkedIn | https://example.com/in/x" in page
    assert _resubmit(client, f"/organiser/speakers/{speaker.id}").status_code == 302
    db.session.refresh(speaker)
    assert speaker.links == [{"label": "LinkedIn", "url": "https://example.com/in/x"}]


def test_speaker_own_profile_saved_unchanged_keeps_links(client, login):
    user = make_user()
    speaker = make_speaker(user=user, links=[{"label": "Site", "url": "https://example.com"}])
    db.session.commit()
    login(user)
    assert _resubmit(client, "/me/speaker-profile").status_code == 302
    db.session.refresh(speaker)
    assert speaker.links == [{"label": "Site", "url": "https://example.com"}]
