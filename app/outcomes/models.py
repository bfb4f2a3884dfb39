"""A funded programme, its targets, and the evidence a funder pays on: eligibility
declarations and outcome claims per business, and who changed what.

Support hours are not stored: they are worked out from check-ins whenever they are shown, so
undoing a check-in takes its hours away at once (see `hours.py`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column


class IndicatorKey(enum.StrEnum):
    """The built-in indicators (ERDF C1, C8, C5, collaborations, C28/C29, C26)."""

    ASSISTED = "assisted_enterprises"
    JOBS = "jobs_fte"
    START_UPS = "start_ups"
    COLLABORATIONS = "collaborations"
    PRODUCTS = "new_products"
    RESEARCH = "research_cooperation"


BUILT_IN_INDICATORS: list[tuple[str, str]] = [
    (IndicatorKey.ASSISTED, "Assisted enterprises"),
    (IndicatorKey.JOBS, "Jobs created (FTE)"),
    (IndicatorKey.START_UPS, "Start-ups supported"),
    (IndicatorKey.COLLABORATIONS, "Collaborations"),
    (IndicatorKey.PRODUCTS, "New products, processes or services"),
    (IndicatorKey.RESEARCH, "Enterprises cooperating with research institutions"),
]


class ClaimKind(enum.StrEnum):
    JOBS = "jobs"
    PRODUCT = "product"
    COLLABORATION = "collaboration"
    START_UP = "start_up"
    CUSTOM = "custom"  # counts toward an organiser-defined indicator


class ClaimStatus(enum.StrEnum):
    CLAIMED = "claimed"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Network(db.Model):
    """An organiser-defined group of events, e.g. one of a county's business networks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class EventNetwork(db.Model):
    """Which network an event belongs to (at most one); kept beside the event, not on it."""

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)

    network: Mapped[Network] = relationship()


class Programme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    funder: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # ERDF in England counted an enterprise as supported from 12 hours of assistance.
    threshold_hours: Mapped[float] = mapped_column(Numeric(6, 2), default=12)
    # The UK's Minimal Financial Assistance limit over three financial years.
    mfa_limit_gbp: Mapped[int] = mapped_column(default=315_000)
    created_at: Mapped[datetime] = created_at_column()

    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="programme", order_by="Indicator.position, Indicator.id"
    )


class Indicator(db.Model):
    """A counted indicator of a programme with its target (None: counted, no target)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # an IndicatorKey, or "custom-<n>"
    title: Mapped[str] = mapped_column(String(120))
    target: Mapped[float | None] = mapped_column(Numeric(10, 1))
    built_in: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    programme: Mapped[Programme] = relationship(back_populates="indicators")

    __table_args__ = (UniqueConstraint("programme_id", "key"),)


class Declaration(db.Model):
    """One signed version of a business's eligibility declarations for a programme. A new
    version is a new row: declarations are never edited in place."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    version: Mapped[int]
    headcount_band: Mapped[str] = mapped_column(String(20))
    turnover_band: Mapped[str] = mapped_column(String(20))
    subsidies_gbp: Mapped[int]  # current and two previous financial years
    consent_to_name: Mapped[bool]
    signed_name: Mapped[str] = mapped_column(String(120))
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    signed_by = relationship("User")

    __table_args__ = (UniqueConstraint("programme_id", "organisation_id", "version"),)


class OutcomeClaim(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"))  # custom only
    description: Mapped[str] = mapped_column(Text)
    # What the claim counts: FTE for jobs, 1 for the others unless a custom count says more.
    quantity: Mapped[float] = mapped_column(Numeric(8, 1), default=1)
    title: Mapped[str] = mapped_column(String(200), default="")  # role, product name, partner
    # product: new_to_firm | new_to_market; collaboration: business | university | college
    detail: Mapped[str] = mapped_column(String(20), default="")
    occurred_on: Mapped[date] = mapped_column(Date)  # start, launch, agreement, incorporation
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.CLAIMED, index=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    indicator = relationship("Indicator")
    evidence: Mapped[list[ClaimEvidence]] = relationship(
        back_populates="claim", order_by="ClaimEvidence.id"
    )


class ClaimEvidence(db.Model):
    """A file backing a claim: a PDF as uploaded (checked), or an image re-encoded."""

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("outcome_claim.id"), index=True)
    # Unguessable: the download URL carries it rather than a sequential id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    claim: Mapped[OutcomeClaim] = relationship(back_populates="evidence")


class OutcomeAudit(db.Model):
    """Who did what to a business's declarations and claims, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_claim.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    actor = relationship("User")


class FollowUp(db.Model):
    """An outcomes follow-up email to an assisted business (3 and 12 months on), claimed
    by inserting this row first so it goes once whatever runs at the same moment."""

    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    months: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
