"""Speakers: profiles organisers create, that a linked speaker account may edit itself."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import urlsplit

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from app.auth.models import User
from app.events.models import AgendaSession, Event, EventStatus, Speaker
from app.events.published import PublishedSession, from_row
from app.events.services import unique_slug
from app.extensions import db

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_SIZE = 400  # longest side, pixels
MAX_PHOTO_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_LINKS = 8


class SpeakerError(ValueError):
    """A speaker change that breaks a rule; the message says which."""


@dataclass
class SpeakerData:
    name: str
    job_title: str = ""
    organisation: str = ""
    bio: str = ""
    links: list[dict] = field(default_factory=list)  # [{"label", "url"}]
    slug: str | None = None


def parse_links(text: str) -> list[dict]:
    """One link a line: 'Label | https://…' or just the address."""
    links = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        label, url = label.strip(), url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise SpeakerError(f"Link on line {n} must be a web address starting https://.")
        label = label or parts.netloc.removeprefix("www.")
        if len(label) > 60:
            raise SpeakerError(f"The label on line {n} is too long (60 characters at most).")
        links.append({"label": label, "url": url})
    if len(links) > MAX_LINKS:
        raise SpeakerError(f"At most {MAX_LINKS} links, please.")
    return links


def links_text(links: list[dict] | None) -> str:
    return "\n".join(f"{link['label']} | {link['url']}" for link in links or [])


def process_photo(raw: bytes) -> tuple[bytes, str]:
    """Check an upload is a real image, and re-encode it as a JPEG of at most 400 px a side.
    Returns (jpeg bytes, etag). Nothing of the original file survives (metadata included)."""
    if not raw:
        raise SpeakerError("The photo file is empty.")
    if len(raw) > MAX_PHOTO_BYTES:
        raise SpeakerError(
            f"The photo is {len(raw) / 1024 / 1024:.1f} MB; the limit is 2 MB. "
            "Please choose a smaller image."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(raw))
            if image.format not in PHOTO_FORMATS:
                raise SpeakerError("The photo must be a JPEG, PNG, WebP or GIF image.")
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise SpeakerError("The photo has too many pixels; please choose a smaller image.")
            image.load()
    except SpeakerError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SpeakerError(
            "That file is not an image we can read. Please upload a JPEG, PNG, WebP or GIF."
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise SpeakerError("That image file is damaged. Please upload another.") from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    image.thumbnail((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS)
    out = BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    data = out.getvalue()
    return data, hashlib.sha256(data).hexdigest()[:32]


def _check(data: SpeakerData) -> None:
    if not data.name.strip():
        raise SpeakerError("The speaker needs a name.")
    if len(data.name) > 120 or len(data.job_title) > 120 or len(data.organisation) > 200:
        raise SpeakerError("Name and job title may be 120 characters, organisation 200.")
    if len(data.bio) > 10000:
        raise SpeakerError("The biography is too long (10,000 characters at most).")


def _apply(speaker: Speaker, data: SpeakerData, photo: bytes | None, remove_photo: bool) -> None:
    processed = process_photo(photo) if photo is not None else None  # check before writing
    speaker.name = data.name.strip()
    speaker.job_title = data.job_title.strip()
    speaker.organisation = data.organisation.strip()
    speaker.bio = data.bio.strip()
    speaker.links = list(data.links)
    if processed is not None:
        speaker.photo, speaker.photo_etag = processed
    elif remove_photo:
        speaker.photo, speaker.photo_etag = None, None


def create_speaker(
    actor: User, data: SpeakerData, photo: bytes | None = None, user_email: str = ""
) -> Speaker:
    _check(data)
    speaker = Speaker()
    _apply(speaker, data, photo, False)
    speaker.slug = unique_slug(Speaker, data.slug or data.name)
    _link_user(speaker, user_email)
    db.session.add(speaker)
    db.session.flush()
    return speaker


def update_speaker(
    actor: User,
    speaker: Speaker,
    data: SpeakerData,
    photo: bytes | None = None,
    remove_photo: bool = False,
    user_email: str | None = None,
) -> Speaker:
    _check(data)
    _apply(speaker, data, photo, remove_photo)
    if data.slug and data.slug != speaker.slug:
        speaker.slug = unique_slug(Speaker, data.slug, exclude_id=speaker.id)
    if user_email is not None:
        _link_user(speaker, user_email)
    db.session.flush()
    return speaker


def update_own_profile(
    user: User, speaker: Speaker, data: SpeakerData, photo: bytes | None, remove_photo: bool
) -> Speaker:
    """A speaker editing their own profile: everything but the address and the account link."""
    if speaker.user_id is None or speaker.user_id != user.id:
        raise SpeakerError("You can only edit your own speaker profile.")
    _check(data)
    _apply(speaker, data, photo, remove_photo)
    db.session.flush()
    return speaker


def _link_user(speaker: Speaker, email: str) -> None:
    email = User.normalise_email(email or "")
    if not email:
        speaker.user_id = None
        return
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        raise SpeakerError(f"There is no account with the email {email}.")
    other = db.session.execute(
        select(Speaker).where(Speaker.user_id == user.id, Speaker.id != (speaker.id or -1))
    ).scalar_one_or_none()
    if other is not None:
        raise SpeakerError(f"{email} is already linked to the speaker {other.name}.")
    speaker.user_id = user.id


def delete_speaker(actor: User, speaker: Speaker) -> None:
    if speaker.session_links:
        raise SpeakerError(
            f"{speaker.name} is on {len(speaker.session_links)} session(s); "
            "take them off those sessions first."
        )
    db.session.delete(speaker)
    db.session.flush()


def speaker_for_user(user: User) -> Speaker | None:
    return db.session.execute(
        select(Speaker).where(Speaker.user_id == user.id)
    ).scalar_one_or_none()


# --- public pages ---------------------------------------------------------------------------


@dataclass
class SpeakerSession:
    session: PublishedSession
    event: Event


def public_sessions() -> list[SpeakerSession]:
    """Every published session of every public event, with its event (1 query)."""
    # Columns, not ORM objects: the public copy is all a speaker page shows.
    rows = db.session.execute(
        select(
            AgendaSession.id,
            AgendaSession.event_id,
            AgendaSession.uid,
            AgendaSession.sequence,
            AgendaSession.published,
            AgendaSession.published_at,
            AgendaSession.seats_taken,
            Event,
        )
        .join(AgendaSession.event)
        .where(
            AgendaSession.published_at.is_not(None),
            Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)),
        )
    )
    found = [SpeakerSession(p, r.Event) for r in rows if (p := from_row(r)) is not None]
    return sorted(found, key=lambda s: (s.session.starts_at, s.session.id))


def public_speakers() -> tuple[list[Speaker], dict[int, list[SpeakerSession]]]:
    """Speakers on a published agenda, by name, with their sessions (2 queries)."""
    sessions_of: dict[int, list[SpeakerSession]] = {}
    for item in public_sessions():
        for speaker_id in item.session.speaker_ids:
            sessions_of.setdefault(speaker_id, []).append(item)
    if not sessions_of:
        return [], {}
    speakers = db.session.execute(
        select(Speaker).where(Speaker.id.in_(list(sessions_of))).order_by(Speaker.name)
    ).scalars()
    return list(speakers), sessions_of


def sessions_of_speaker(speaker: Speaker) -> list[SpeakerSession]:
    return [s for s in public_sessions() if speaker.id in s.session.speaker_ids]
