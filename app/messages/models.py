"""What organisers sent to delegates, kept so the team can see who was told what and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

SCHEDULED = "scheduled"  # waits for scheduled_for; cancellable until then
SENT = "sent"  # its emails are in the outbox (the outbox tracks each one's delivery)
CANCELLED = "cancelled"


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    audience: Mapped[str] = mapped_column(String(30))  # a key of services.AUDIENCES
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"))
    subject: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)  # Markdown, sanitised in the HTML part
    # How many it went to; while scheduled, how many the group held when it was scheduled
    # (the pages count the group afresh; it is taken again when the announcement goes, so
    # late registrations are included).
    recipients: Mapped[int]
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default=SENT, server_default=SENT)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)  # None until it goes
    # The last change to it while it was scheduled (subject, message, group or time), and by whom.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The form's one-time token: a double-clicked Send finds this row and sends nothing twice.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)

    event = relationship("Event")
    sent_by = relationship("User", foreign_keys=[sent_by_id])
    edited_by = relationship("User", foreign_keys=[edited_by_id])
    session = relationship("AgendaSession")
