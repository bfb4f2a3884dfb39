"""How many places an event has left, as delegates see it (pure: reads loaded counters)."""

from __future__ import annotations

from typing import NamedTuple

from app.events.models import Event, TicketType

FEW_LEFT_SHARE = 0.2  # "only N places left" below a fifth of the capacity


class Availability(NamedTuple):
    sold_out: bool
    places_left: int | None  # None: no limit
    few_left: bool  # worth saying how many are left


def price_range(ticket_types: list[TicketType]) -> tuple[int, int] | None:
    """The lowest and highest price (pence) of the tickets on public sale, if any."""
    prices = [t.price_pence for t in ticket_types if not t.hidden]
    return (min(prices), max(prices)) if prices else None


def availability(event: Event, ticket_types: list[TicketType] | None = None) -> Availability:
    """`ticket_types`: those on public sale (default: the event's visible ones). The event is
    sold out when it is full, or when every ticket type on sale is."""
    if ticket_types is None:
        ticket_types = [t for t in event.ticket_types if not t.hidden]
    left = event.seats_left
    capacity = event.capacity
    if ticket_types and all(t.capacity is not None for t in ticket_types):
        by_ticket = sum(t.seats_left or 0 for t in ticket_types)
        by_ticket_capacity = sum(t.capacity for t in ticket_types)
        if left is None or by_ticket < left:
            left, capacity = by_ticket, by_ticket_capacity if capacity is None else capacity
    sold_out = left == 0
    few = bool(left and capacity and left < capacity * FEW_LEFT_SHARE)
    return Availability(sold_out, left, few)
