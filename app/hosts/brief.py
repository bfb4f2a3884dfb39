"""A visit's safety brief and confidentiality terms, and each applicant's acceptance of them.

The brief is edited in place; the terms are versioned (a change adds a version, old ones stay)
so that an acceptance always names what was accepted. A visit with a brief asks every
applicant, on the registration form, to accept the brief and the current terms by version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from sqlalchemy import select

from app.auth.models import User
from app.events.models import Event, EventKind
from app.extensions import db
from app.hosts.models import (
    PHOTOGRAPHY_RULES,
    PPE_ITEMS,
    VisitAcceptance,
    VisitAcceptanceLog,
    VisitBrief,
    VisitTerms,
)
from app.hosts.services import HostError, can_host
from app.registration.models import Registration
from app.timeutil import utcnow

CONSENT_FIELD = "visit_consent"
VEHICLE_FIELD = "vehicle_registration"
NO_TERMS = "brief"  # the consent's value when the visit has no confidentiality terms
MAX_PDF_BYTES = 4 * 1024 * 1024
_PLATE = re.compile(r"^[A-Z0-9 ]{2,10}$")


def brief_for(event_id: int) -> VisitBrief | None:
    return db.session.get(VisitBrief, event_id)


def briefs_for(event_ids: Iterable[int]) -> dict[int, VisitBrief]:
    ids = set(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(VisitBrief).where(VisitBrief.event_id.in_(ids))).scalars()
    return {b.event_id: b for b in rows}


def _latest(event_id: int) -> VisitTerms | None:
    return db.session.execute(
        select(VisitTerms)
        .where(VisitTerms.event_id == event_id)
        .order_by(VisitTerms.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def current_terms(event_id: int) -> VisitTerms | None:
    """The latest version of the terms, or None when there are none (or they were withdrawn)."""
    terms = _latest(event_id)
    return None if terms is None or terms.is_empty else terms


def terms_version(event_id: int, version: int) -> VisitTerms | None:
    return db.session.execute(
        select(VisitTerms).where(VisitTerms.event_id == event_id, VisitTerms.version == version)
    ).scalar_one_or_none()


def postcode_map_url(postcode: str | None) -> str | None:
    if not postcode or not postcode.strip():
        return None
    return f"https://www.openstreetmap.org/search?query={quote_plus(postcode.strip())}"


def map_url(event: Event) -> str | None:
    """A map of the venue's postcode (the gate is usually near enough to it)."""
    return postcode_map_url(event.venue.postcode if event.venue else None)


def save_brief(
    actor: User,
    event: Event,
    *,
    ppe: Iterable[str],
    ppe_notes: str = "",
    photography: str = "ask",
    meeting_point: str = "",
    parking: str = "",
    ask_for: str = "",
    asks_vehicle: bool = False,
) -> VisitBrief:
    if not can_host(actor, event):
        raise HostError("You do not host this visit.")
    ppe = list(ppe)
    unknown = [p for p in ppe if p not in PPE_ITEMS]
    if unknown:
        raise HostError(f"{unknown[0]!r} is not an item of PPE this form knows.")
    if photography not in PHOTOGRAPHY_RULES:
        raise HostError("Choose one of the photography rules.")
    for label, value, limit in (
        ("The PPE notes", ppe_notes, 2000),
        ("The meeting point", meeting_point, 1000),
        ("The parking details", parking, 1000),
        ("Whom to ask for", ask_for, 200),
    ):
        if len(value) > limit:
            raise HostError(f"{label} must be under {limit:,} characters.")
    brief = brief_for(event.id)
    if brief is None:
        brief = VisitBrief(event_id=event.id)
        db.session.add(brief)
    brief.ppe = [key for key in PPE_ITEMS if key in ppe]
    brief.ppe_notes = ppe_notes.strip()
    brief.photography = photography
    brief.meeting_point = meeting_point.strip()
    brief.parking = parking.strip()
    brief.ask_for = ask_for.strip()
    brief.asks_vehicle = asks_vehicle
    brief.updated_by_id = actor.id
    db.session.flush()
    return brief


def save_terms(
    actor: User, event: Event, text: str, pdf: bytes | None = None, pdf_name: str = ""
) -> VisitTerms | None:
    """A new version when the terms change (text edited, a PDF uploaded, or emptied to
    withdraw them); None when nothing changed. Two editors at once: the unique version makes
    one of them fail rather than share a number."""
    if not can_host(actor, event):
        raise HostError("You do not host this visit.")
    text = text.strip()
    if len(text) > 20000:
        raise HostError("Keep the terms under 20,000 characters, or upload them as a PDF.")
    if pdf is not None:
        if len(pdf) > MAX_PDF_BYTES:
            raise HostError("The PDF must be under 4 MB.")
        if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-1024:]:
            raise HostError("That file is not a complete PDF.")
    latest = _latest(event.id)
    if pdf is None:
        if (latest.text if latest else "") == text:
            return None  # unchanged
        if latest is not None and latest.pdf_name:
            # Editing the text keeps the uploaded PDF: both make up the new version.
            pdf, pdf_name = latest.pdf, latest.pdf_name
    version = (latest.version if latest else 0) + 1
    name = ""
    if pdf is not None:
        name = re.sub(r"[^\w.\- ]", "", pdf_name or "")[:150].strip() or "terms"
        name = name if name.lower().endswith(".pdf") else name + ".pdf"
    terms = VisitTerms(
        event_id=event.id, version=version, text=text, pdf=pdf, pdf_name=name,
        created_by_id=actor.id,
    )  # fmt: skip
    db.session.add(terms)
    db.session.flush()
    return terms


def withdraw_terms(actor: User, event: Event) -> VisitTerms | None:
    """An empty version: applicants from now on accept the brief alone."""
    if current_terms(event.id) is None:
        return None
    if not can_host(actor, event):
        raise HostError("You do not host this visit.")
    version = _latest(event.id).version + 1
    terms = VisitTerms(event_id=event.id, version=version, text="", created_by_id=actor.id)
    db.session.add(terms)
    db.session.flush()
    return terms


def consent_label(terms: VisitTerms | None) -> str:
    label = "I will wear the PPE in the safety brief and follow its photography rule"
    if terms is not None:
        label += f", and I accept the confidentiality terms (version {terms.version})"
    return label


@dataclass
class Consent:
    terms: VisitTerms | None
    vehicle_registration: str


def form_context(event: Event, data: Mapping | None = None, error: str | None = None) -> dict:
    """What hosts/_consent.html needs on a registration form (nothing for other events)."""
    brief = brief_for(event.id) if event.kind == EventKind.SITE_VISIT else None
    if brief is None:
        return {"visit_brief": None}
    terms = current_terms(event.id)
    data = data or {}
    return {
        "visit_brief": brief,
        "visit_terms": terms,
        "consent_label": consent_label(terms),
        "consent_value": str(terms.version) if terms else NO_TERMS,
        "consent_given": bool(data.get(CONSENT_FIELD)),
        "vehicle_given": data.get(VEHICLE_FIELD, ""),
        "consent_error": error,
    }


def check_consent(event: Event, data: Mapping) -> Consent | None:
    """The applicant's acceptance from the form, or None when the visit asks for none. Raises
    HostError, naming what to do, when it is missing or names terms that have since changed."""
    brief = brief_for(event.id) if event.kind == EventKind.SITE_VISIT else None
    if brief is None:
        return None
    terms = current_terms(event.id)
    given = (data.get(CONSENT_FIELD) or "").strip()
    expected = str(terms.version) if terms else NO_TERMS
    if not given:
        raise HostError("Tick the box to accept the safety brief and the terms.")
    if given != expected:
        raise HostError(
            "The host has changed the terms since this page was opened: read the current "
            "version below and tick the box again."
        )
    plate = ""
    if brief.asks_vehicle:
        plate = re.sub(r"\s+", " ", (data.get(VEHICLE_FIELD) or "").strip().upper())
        if plate and not _PLATE.match(plate):
            raise HostError("A vehicle registration is letters and numbers, up to 10.")
    return Consent(terms, plate)


def record_consent(
    registration: Registration, consent: Consent | None, now: datetime | None = None
) -> VisitAcceptance | None:
    """Keep the acceptance: the latest replaces the one before (with the vehicle for the
    gate), and every one is added to the log (VisitAcceptanceLog)."""
    if consent is None:
        return None
    row = db.session.get(VisitAcceptance, registration.id)
    if row is None:
        row = VisitAcceptance(registration_id=registration.id)
        db.session.add(row)
    row.terms_id = consent.terms.id if consent.terms else None
    row.terms_version = consent.terms.version if consent.terms else None
    row.accepted_at = now or utcnow()
    row.vehicle_registration = consent.vehicle_registration
    db.session.add(
        VisitAcceptanceLog(
            registration_id=registration.id, terms_id=row.terms_id,
            terms_version=row.terms_version, accepted_at=row.accepted_at,
        )
    )  # fmt: skip
    db.session.flush()
    return row


def acceptances_for(registration_ids: Iterable[int]) -> dict[int, VisitAcceptance]:
    ids = list(registration_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(VisitAcceptance).where(VisitAcceptance.registration_id.in_(ids))
    ).scalars()
    return {a.registration_id: a for a in rows}


def acceptance_history(registration_ids: Iterable[int]) -> dict[int, list[VisitAcceptanceLog]]:
    """Every acceptance each registration gave, oldest first (1 query)."""
    ids = list(registration_ids)
    history: dict[int, list[VisitAcceptanceLog]] = {}
    if not ids:
        return history
    for entry in db.session.execute(
        select(VisitAcceptanceLog)
        .where(VisitAcceptanceLog.registration_id.in_(ids))
        .order_by(VisitAcceptanceLog.accepted_at, VisitAcceptanceLog.id)
    ).scalars():
        history.setdefault(entry.registration_id, []).append(entry)
    return history


def needing_acceptance(registrations: Iterable[Registration]) -> set[int]:
    """The registrations (live, at a visit with a brief) whose delegate has not accepted the
    brief, or accepted terms the host has since changed: registered by a colleague or an
    organiser, passed on, or registered before the brief was written. Three queries."""
    from app.registration.models import ENDED

    live = [r for r in registrations if r.status not in ENDED]
    briefs = briefs_for({r.event_id for r in live})
    live = [r for r in live if r.event_id in briefs]
    if not live:
        return set()
    current: dict[int, int | None] = {}
    for terms in db.session.execute(
        select(VisitTerms)
        .where(VisitTerms.event_id.in_({r.event_id for r in live}))
        .order_by(VisitTerms.version)
    ).scalars():
        current[terms.event_id] = None if terms.is_empty else terms.version
    accepted = acceptances_for([r.id for r in live])
    out = set()
    for r in live:
        a = accepted.get(r.id)
        version = current.get(r.event_id)
        if a is None or (version is not None and a.terms_version != version):
            out.add(r.id)
    return out
