"""Who hosts, and how a site visit treats its applicants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column


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


class HostDecision(db.Model):
    """The host's answer to one application; the reason is for the organisers' eyes only."""

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(db.String(10))  # approved | declined
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
