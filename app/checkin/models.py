"""Door staff assignments, admissions and the log of every scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column


class EventStaff(db.Model):
    """A door staff member assigned to scan at one event."""

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

    user = relationship("User")
    event = relationship("Event")


class CheckIn(db.Model):
    """One successful admission: at the event door (session_id None) or at a session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"), index=True)
    # "door" or "s<session id>" while the admission stands; None once undone. Unique per
    # registration, so a ticket admits once per point whatever the concurrency.
    point_key: Mapped[str | None] = mapped_column(String(20))
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device: Mapped[str] = mapped_column(String(120), default="")
    nonce: Mapped[str | None] = mapped_column(String(64))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    registration = relationship("Registration")
    session = relationship("AgendaSession")
    staff = relationship("User", foreign_keys=[staff_id])

    __table_args__ = (UniqueConstraint("registration_id", "point_key"),)


class ScanLog(db.Model):
    """Every scan attempt and the answer it got; (staff, nonce) makes retries idempotent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    code: Mapped[str] = mapped_column(String(80))  # truncated; unknown codes are kept short
    result: Mapped[str] = mapped_column(String(30), index=True)
    nonce: Mapped[str | None] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    device: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("staff_id", "nonce"),)


class CheckInConflict(db.Model):
    """A scan made offline that the server could not take as the device did: the ticket was
    already admitted at that point (`checkin_id` is the admission that stands), or the device
    admitted someone the server refuses. Shown to organisers on the live page."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"))
    result: Mapped[str] = mapped_column(String(30))  # the server's answer
    offline_result: Mapped[str | None] = mapped_column(String(30))  # what the device said
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    device: Mapped[str] = mapped_column(String(120), default="")
    nonce: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime] = mapped_column(DateTime)  # the device's clock, UTC
    created_at: Mapped[datetime] = created_at_column()  # when it reached the server
