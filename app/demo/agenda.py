"""The demo conference agenda and its speakers, published — plus one draft change waiting to
be published, and a speaker account, so the builder and the speaker pages have something to show."""

from datetime import datetime, time, timedelta
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from app.auth.models import Role, User
from app.events.agenda_publishing import publish_agenda
from app.events.models import AgendaSession, SessionKind, SessionSpeaker, Speaker
from app.events.speaker_services import process_photo
from app.extensions import db
from app.timeutil import to_utc

SPEAKER_LOGIN = ("speaker@example.com", "speaker")  # Alex Morgan's account
PHOTO_COLOURS = ["#0b4f6c", "#2a9d8f", "#6a4c93", "#e76f51", "#264653", "#8a5a44"]

SPEAKERS = [
    ("alex-morgan", "Alex Morgan", "Head of Manufacturing Solutions", "Fenwright CAD Software",
     "Alex helps small engineering firms connect design and production, so that what is drawn "
     "is what gets made — first time."),
    ("bea-okafor", "Dr Bea Okafor", "Director", "Institute for Manufacturing, Broadland University",
     "Bea leads the institute's work with SMEs on productivity measurement and lean "
     "transformation, and chairs the programme's benchmark panel."),
    ("chris-hale", "Chris Hale", "Automation Engineer", "Brackland Industrial Automation",
     "Chris has installed more than sixty cobot cells in small factories and will tell you "
     "honestly when *not* to automate."),
    ("dev-sharma", "Dev Sharma", "Founder", "KitCircuit Electronics",
     "Dev built an electronics kit business from a garage to 40 people, and runs its "
     "apprenticeship scheme."),
    ("emma-reeve", "Emma Reeve", "Managing Director", "Wymondham Precision Engineering",
     "Emma led her family's machine shop through a move to cellular flow that halved lead times."),
    ("farid-haddad", "Farid Haddad", "Lean Practitioner", "Institute for Manufacturing, "
     "Broadland University", "Farid runs the institute's shop-floor lean workshops."),
]  # fmt: skip

# (start, end, room index or None for all rooms, title, kind, track, capacity,
#  pillars, speaker slugs)
SESSIONS = [
    ("08:30", "09:15", None, "Registration and coffee", SessionKind.BREAK, "", None, [], []),
    ("09:15", "10:00", 0, "Opening keynote: the productivity gap in East Anglia",
     SessionKind.KEYNOTE, "Plenary", None, ["leadership"], ["bea-okafor"]),
    ("10:00", "10:45", 0, "Panel: what we changed, and what it cost", SessionKind.PANEL,
     "Plenary", None, ["leadership", "people"], ["emma-reeve", "dev-sharma", "chris-hale"]),
    ("10:45", "11:15", None, "Coffee and exhibition", SessionKind.BREAK, "", None, [], []),
    ("11:15", "12:30", 1, "Workshop: map your value stream in an hour", SessionKind.WORKSHOP,
     "Lean operations", 30, ["lean", "quality"], ["farid-haddad"]),
    ("11:15", "12:30", 2, "Workshop: digital adoption without the big bang",
     SessionKind.WORKSHOP, "Digital adoption", 30, ["digital"], ["alex-morgan"]),
    ("11:15", "12:00", 0, "From drawing to shop floor: closing the CAD–CAM loop",
     SessionKind.TALK, "Digital adoption", None, ["digital", "automation"], ["alex-morgan"]),
    ("12:30", "13:30", None, "Lunch", SessionKind.BREAK, "", None, [], []),
    ("13:30", "14:45", 1, "Workshop: leading change on the shop floor", SessionKind.WORKSHOP,
     "Leadership", 30, ["leadership"], ["emma-reeve"]),
    ("13:30", "14:45", 2, "Workshop: building skills with apprenticeships",
     SessionKind.WORKSHOP, "Skills", 30, ["people"], ["dev-sharma"]),
    ("13:30", "14:15", 0, "Your first cobot: a buyer's checklist", SessionKind.TALK,
     "Automation", None, ["automation"], ["chris-hale"]),
    ("14:45", "15:15", None, "Tea", SessionKind.BREAK, "", None, [], []),
    ("15:15", "16:00", 0, "Closing keynote: measuring what matters", SessionKind.KEYNOTE,
     "Plenary", None, ["leadership", "quality"], ["bea-okafor"]),
]  # fmt: skip


def _at(day, hhmm: str) -> datetime:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return to_utc(datetime.combine(day, time(hh, mm)))


def load(ctx: dict) -> None:
    conference, day = ctx["conference"], ctx["conference_day"]
    rooms = conference.venue.rooms
    speakers = {}
    for slug, name, title, org, bio in SPEAKERS:
        speakers[slug] = Speaker(slug=slug, name=name, job_title=title, organisation=org, bio=bio)
    for n, speaker in enumerate(speakers.values()):
        speaker.photo, speaker.photo_etag = process_photo(_portrait(speaker.name, n))
        speaker.links = [
            {"label": "LinkedIn", "url": f"https://www.linkedin.com/in/{speaker.slug}"}
        ]
    account = User(
        email=SPEAKER_LOGIN[0], name="Alex Morgan", role=Role.DELEGATE, email_verified_at=ctx["now"]
    )
    account.set_password(SPEAKER_LOGIN[1])
    db.session.add(account)
    speakers["alex-morgan"].user = account
    db.session.add_all(speakers.values())
    sessions = []
    for start, end, room, title, kind, track, capacity, pillars, slugs in SESSIONS:
        session = AgendaSession(
            event=conference, title=title, kind=kind, track=track, capacity=capacity,
            pillars=pillars, starts_at=_at(day, start), ends_at=_at(day, end),
            room=rooms[room] if room is not None else None, abstract=_abstract(title, kind),
        )  # fmt: skip
        session.speaker_links = [
            SessionSpeaker(speaker=speakers[s], position=i) for i, s in enumerate(slugs)
        ]
        sessions.append(session)
    db.session.add_all(sessions)
    db.session.flush()
    # Published a week ago, then one talk moved: the change log has two versions.
    now, organiser = ctx["now"], ctx["organiser"]
    publish_agenda(organiser, conference, now=now - timedelta(days=7))
    cobot = next(s for s in sessions if s.title.startswith("Your first cobot"))
    cobot.starts_at, cobot.ends_at = _at(day, "14:00"), _at(day, "14:45")
    publish_agenda(organiser, conference, now=now)
    # A draft the organiser has not published yet: visible in the builder, not to delegates.
    showcase = AgendaSession(
        event=conference, title="Member showcase: five-minute wins", kind=SessionKind.TALK,
        track="Plenary", pillars=["innovation"], room=rooms[1],
        starts_at=_at(day, "15:15"), ends_at=_at(day, "16:00"),
        abstract="Five members, five minutes each: one change that paid for itself.",
    )  # fmt: skip
    db.session.add(showcase)
    ctx["sessions"] = sessions
    ctx["speakers"] = speakers
    db.session.flush()


def _portrait(name: str, n: int) -> bytes:
    """A placeholder portrait: the speaker's initials on a colour (PNG, re-encoded on upload)."""
    image = Image.new("RGB", (480, 480), PHOTO_COLOURS[n % len(PHOTO_COLOURS)])
    initials = "".join(part[0] for part in name.replace("Dr ", "").split()[:2])
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=190)
    draw.text((240, 240), initials, fill="#ffffff", font=font, anchor="mm")
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _abstract(title: str, kind: str) -> str:
    if kind == SessionKind.BREAK:
        return ""
    if kind == SessionKind.WORKSHOP:
        return (
            f"A hands-on session for up to 30 delegates. {title.split(': ', 1)[-1].capitalize()}"
            " — bring a real problem from your own business. Booking required."
        )
    return f"{title}. Practical lessons from East Anglian manufacturers, with time for questions."
