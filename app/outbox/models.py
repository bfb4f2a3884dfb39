"""One row per outgoing email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import ClippedString, created_at_column, updated_at_column

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    kind: Mapped[str] = mapped_column(String(40))
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(ClippedString(200))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Who it is for, where the app knows: organisers find a message where they find the person.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    # Messages sent to many at once share a batch ("announcement-12"), to show progress.
    batch: Mapped[str | None] = mapped_column(String(40), index=True)
    # Either the message itself (built by the caller) or what a renderer needs to build it
    # in the worker (QR codes, calendars and templates stay out of the request).
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    renderer: Mapped[str | None] = mapped_column(String(20))
    payload: Mapped[dict | None] = mapped_column(JSON)

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (Index("ix_outbox_message_status_due", "status", "next_attempt_at"),)
