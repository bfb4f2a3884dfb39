"""What an event needs before it is published: a checklist organisers see, whose blocking
items refuse publishing until they are fixed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.events.models import AgendaSession, Event, SessionStatus
from app.extensions import db


@dataclass(frozen=True)
class CheckItem:
    label: str
    ok: bool
    blocking: bool  # publishing is refused while a blocking item is not ok
    fix: str  # what to do, when not ok


def publish_checklist(event: Event) -> list[CheckItem]:
    on_sale = [t for t in event.ticket_types if not t.hidden]
    outside = db.session.scalar(
        select(func.count())
        .select_from(AgendaSession)
        .where(
            AgendaSession.event_id == event.id,
            AgendaSession.status != SessionStatus.CANCELLED,
            or_(AgendaSession.starts_at < event.starts_at, AgendaSession.ends_at > event.ends_at),
        )
    )
    return [
        CheckItem(
            "Tickets on sale", bool(on_sale), True,
            "Add a ticket type that is not hidden, so delegates can register.",
        ),
        CheckItem("A venue", event.venue_id is not None, True, "Choose a venue."),
        CheckItem(
            "Sessions inside the event's hours", not outside, True,
            f"{outside} session{'s' if outside != 1 else ''} of the agenda "
            f"{'fall' if outside != 1 else 'falls'} outside the event's start and end: move "
            "them, or change the event's times.",
        ),
        CheckItem(
            "A description", bool((event.description or "").strip()), False,
            "Describe the event: delegates decide from its page.",
        ),
    ]  # fmt: skip


def blocking_items(event: Event) -> list[CheckItem]:
    return [item for item in publish_checklist(event) if item.blocking and not item.ok]
