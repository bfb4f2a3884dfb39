"""Webhook endpoints and their deliveries (the delivery log)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column

EVENT_TYPES = (
    "registration.confirmed",
    "registration.cancelled",
    "registration.waitlisted",
    "payment.succeeded",
    "payment.refunded",
    "checkin.created",
    "agenda.published",
    "outcome.verified",
)

QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"


class WebhookEndpoint(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # Shared with the receiver to check signatures; shown to organisers, never sent.
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", order_by="WebhookDelivery.id.desc()", viewonly=True
    )


class WebhookDelivery(db.Model):
    """One event for one endpoint. The body is stored as sent, so a replay is identical."""

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)  # "evt_…", same for replays
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None]  # the receiver's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_delivery.id"))
    created_at: Mapped[datetime] = created_at_column()

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    __table_args__ = (Index("ix_webhook_delivery_status_due", "status", "next_attempt_at"),)
