"""Who hosts, and how a site visit treats its applicants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column, updated_at_column


class HostMember(db.Model):
    """A member of a business marked by an organiser as one of its site-visit hosts. Hosting
    lapses by itself when the person leaves the business (checked against their membership)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User", foreign_keys=[user_id])


class VisitSettings(db.Model):
    """A site visit's host rules; a visit without a row needs no approval."""

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    # Businesses (names) and SIC divisions the host would rather not admit: flagged, not refused.
    excluded_businesses: Mapped[str] = mapped_column(Text, default="")
    excluded_sectors: Mapped[str] = mapped_column(Text, default="")
    # Set when the hosts were reminded of undecided applications, so it happens once.
    host_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)


class HostDecision(db.Model):
    """The host's answer to one application; the reason is for the organisers' eyes only."""

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(db.String(10))  # approved | declined
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime)


# The PPE a host can ask for, in the order visitors read it.
PPE_ITEMS = {
    "safety_boots": "Safety boots",
    "hi_vis": "A hi-vis vest or jacket",
    "eye_protection": "Eye protection",
    "long_clothing": "Long sleeves and trousers",
    "no_jewellery": "No loose jewellery",
}
PHOTOGRAPHY_RULES = {
    "none": "No photographs or video anywhere on site.",
    "ask": "Ask your host before taking any photograph.",
    "allowed": "Photographs are welcome, except where a sign says otherwise.",
}


class VisitBrief(db.Model):
    """What a visitor must wear, may not do, and how to arrive; a visit with a brief asks every
    applicant to accept it (and the current confidentiality terms) on the registration form."""

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    ppe: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of PPE_ITEMS
    ppe_notes: Mapped[str] = mapped_column(Text, default="")
    photography: Mapped[str] = mapped_column(String(10), default="ask")
    meeting_point: Mapped[str] = mapped_column(Text, default="")
    parking: Mapped[str] = mapped_column(Text, default="")
    ask_for: Mapped[str] = mapped_column(String(200), default="")
    # The gatehouse wants number plates: the form asks for one.
    asks_vehicle: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def ppe_labels(self) -> list[str]:
        return [label for key, label in PPE_ITEMS.items() if key in (self.ppe or [])]

    @property
    def photography_rule(self) -> str:
        return PHOTOGRAPHY_RULES.get(self.photography, PHOTOGRAPHY_RULES["ask"])


class VisitTerms(db.Model):
    """One version of a visit's confidentiality terms: never edited, a change is a new version
    so every acceptance keeps pointing at what was accepted. A version with neither text nor
    PDF withdraws the terms."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_name: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("event_id", "version"),)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.pdf_name


class VisitAcceptance(db.Model):
    """An applicant's acceptance of the brief and of one version of the terms (none when the
    visit had none), when it was given, and what the gatehouse asked for."""

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), primary_key=True)
    terms_id: Mapped[int | None] = mapped_column(ForeignKey("visit_terms.id"))
    terms_version: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
    vehicle_registration: Mapped[str] = mapped_column(String(12), default="")


class VisitAcceptanceLog(db.Model):
    """Every acceptance ever given, oldest first: VisitAcceptance keeps only the latest (what
    the gate needs), this keeps that a delegate accepted version 1 before version 2 came."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    terms_id: Mapped[int | None] = mapped_column(ForeignKey("visit_terms.id"))
    terms_version: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
