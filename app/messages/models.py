"""What organisers sent to delegates, kept so the team can see who was told what and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Announcement(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    audience: Mapped[str] = mapped_column(String(30))  # a key of services.AUDIENCES
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"))
    subject: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)  # Markdown, sanitised in the HTML part
    recipients: Mapped[int]
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    # The form's one-time token: a double-clicked Send finds this row and sends nothing twice.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)

    event = relationship("Event")
    sent_by = relationship("User")
    session = relationship("AgendaSession")
