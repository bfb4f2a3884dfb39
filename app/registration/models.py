"""Registrations (a delegate's place at an event) and bookings of capacity-limited sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import ClippedString, created_at_column, updated_at_column


class RegistrationStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PENDING_BENCHMARK = "pending_benchmark"
    AWAITING_HOST = "awaiting_host"  # a site visit whose host approves each visitor
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ENDED = (RegistrationStatus.CANCELLED, RegistrationStatus.REFUNDED)


class Registration(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_type.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # user_id while the registration is live, None once cancelled or refunded: the unique
    # constraint below then allows one live registration per delegate per event on any database.
    active_user_id: Mapped[int | None]
    # True while this registration occupies a seat in the event and ticket type counters.
    holds_seat: Mapped[bool] = mapped_column(default=False)
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the "your event is soon" reminder is claimed for sending (once per registration),
    # or on confirmation inside the reminder window, whose confirmation email stands in for it.
    event_reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "JRN1-<base32>" once confirmed; what the QR code encodes.
    ticket_secret: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount_due_pence: Mapped[int] = mapped_column(default=0)
    amount_paid_pence: Mapped[int] = mapped_column(default=0)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    marked_paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    waitlisted_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    event = relationship("Event")
    user = relationship("User", foreign_keys=[user_id])
    ticket_type = relationship("TicketType")

    __table_args__ = (UniqueConstraint("event_id", "active_user_id"),)

    @property
    def invoice_number(self) -> str:
        """The invoice's number, which is also the reference to quote when paying."""
        return f"JRN-{self.id:06d}"

    @property
    def is_paid(self) -> bool:
        return self.amount_due_pence == 0 or self.paid_at is not None


class RegistrationLog(db.Model):
    """Who did what to a registration, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    actor = relationship("User")


class SessionBooking(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # booked | waitlisted | cancelled
    active_user_id: Mapped[int | None]  # as on Registration
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    session = relationship("AgendaSession")
    user = relationship("User")
    registration = relationship("Registration")

    __table_args__ = (UniqueConstraint("session_id", "active_user_id"),)


class EmailLog(db.Model):
    """Every email sent about a registration, so organisers can see and resend them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(ClippedString(200))
    kind: Mapped[str] = mapped_column(String(40))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()
