"""Card payments through Stripe Checkout, and the webhook events already processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column


class Payment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")  # stripe | invoice
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount_pence: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # open | processing (a delayed method on its way) | paid | refund_due | expired | refunded
    status: Mapped[str] = mapped_column(String(20), default="open")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Stripe's hosted page for this attempt, reused while the session is open.
    checkout_url: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime)
    refund_id: Mapped[str | None] = mapped_column(String(255))
    refunded_pence: Mapped[int] = mapped_column(default=0)
    # Why a webhook or a return was not accepted (amount mismatch, late payment...).
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    registration = relationship("Registration")


class StripeEvent(db.Model):
    """A webhook event id seen once; a replay finds it here and does nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at_column()
