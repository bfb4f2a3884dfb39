"""Revenue per ticket type, and an event's payments, for organisers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.events.models import Event, TicketType
from app.extensions import db
from app.payments.models import Payment
from app.registration.models import Registration, RegistrationStatus

# --- revenue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevenueRow:
    ticket_type: TicketType
    paid_count: int
    awaiting_count: int
    refunded_count: int
    gross_pence: int
    refunded_pence: int

    @property
    def net_pence(self) -> int:
        return self.gross_pence - self.refunded_pence


def revenue_by_ticket_type(event: Event) -> list[RevenueRow]:
    """Per ticket type: money taken, money given back and what is still awaited (two queries)."""
    is_paid = Registration.paid_at.is_not(None)
    refunded = Registration.status == RegistrationStatus.REFUNDED
    rows = db.session.execute(
        select(
            Registration.ticket_type_id,
            func.sum(case((is_paid & ~refunded, 1), else_=0)),
            func.sum(case((Registration.status == RegistrationStatus.PENDING_PAYMENT, 1), else_=0)),
            func.sum(case((is_paid & refunded, 1), else_=0)),
            func.sum(case((is_paid, Registration.amount_paid_pence), else_=0)),
            func.sum(case((is_paid & refunded, Registration.amount_paid_pence), else_=0)),
        )
        .where(Registration.event_id == event.id)
        .group_by(Registration.ticket_type_id)
    ).all()
    by_type = {r[0]: [int(v or 0) for v in r[1:]] for r in rows}
    types = db.session.execute(
        select(TicketType)
        .where(TicketType.event_id == event.id)
        .order_by(TicketType.position, TicketType.id)
    ).scalars()
    return [RevenueRow(t, *by_type.get(t.id, [0, 0, 0, 0, 0])) for t in types]


def event_payments(event: Event) -> list[tuple[Payment, Registration]]:
    """Card payments of an event, newest first, with their registration and delegate."""
    return list(
        db.session.execute(
            select(Payment, Registration)
            .join(Registration, Payment.registration_id == Registration.id)
            .where(Registration.event_id == event.id)
            .order_by(Payment.id.desc())
            .options(joinedload(Registration.user), joinedload(Registration.ticket_type))
        ).all()
    )
