from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column, updated_at_column


class Feedback(db.Model):
    """One delegate's feedback on one event (one per registration; they may revise it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    rating: Mapped[int]  # 1 (poor) to 5 (excellent)
    recommend: Mapped[bool]
    # Benchmark pillars the delegate's business will act on after the event.
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions: Mapped[str] = mapped_column(Text, default="")  # what they will change
    comments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    registration = relationship("Registration")


class FeedbackInvitation(db.Model):
    """The one "how was it?" email a delegate gets after an event. Inserting the row claims the
    sending: the primary key makes a second machine's claim fail, so nobody is asked twice."""

    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
