"""A workshop the programme ran two months ago, so the attendance report and the feedback
page have something to show: most delegates came, and most of those said what they will change.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.checkin.models import CheckIn
from app.events.models import Event, EventKind, EventStatus, TicketType
from app.extensions import db
from app.feedback.models import Feedback
from app.registration.models import Registration
from app.registration.models import RegistrationStatus as S
from app.registration.tickets import new_ticket_secret
from app.timeutil import to_local, to_utc

# (rating, would recommend, pillars they will act on, what they will change)
FEEDBACK = [
    (5, True, ["lean", "quality"], "Map the paint line and cut the batch size in half."),
    (4, True, ["lean"], "Daily ten-minute stand-up at the cell board."),
    (5, True, ["lean", "people"], "Train two team leaders to run kaizen events."),
    (3, True, ["quality"], "Start measuring right-first-time on the assembly line."),
    (4, False, ["lean", "digital"], "Replace the paper job cards with a shared board."),
    (4, True, ["leadership", "lean"], "Put one improvement target on every manager's review."),
]
ATTENDED = 8  # of the ten who registered


def load(ctx: dict) -> None:
    delegates = ctx["delegates"][1:11]  # not the demo login: their tickets stay simple
    day = to_local(ctx["now"]).date() - timedelta(days=61)
    starts = to_utc(datetime.combine(day, time(9, 30)))
    event = Event(
        slug="lean-essentials-spring",
        title="Lean essentials: spring workshop",
        kind=EventKind.WORKSHOP,
        summary="The first lean half-day of the year: one value stream, three actions each.",
        description="Held at the innovation centre; the next one is in the programme above.",
        venue=ctx["workshop"].venue,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3, minutes=30),
        status=EventStatus.PUBLISHED,
        capacity=24,
        seats_taken=len(delegates),
        requires_benchmark=True,
        pillars=["lean", "quality"],
    )
    ticket = TicketType(name="Delegate", price_pence=0, position=0, seats_taken=len(delegates))
    event.ticket_types = [ticket]
    db.session.add(event)
    db.session.flush()
    registrations = confirmed(event, delegates)
    check_in(event, registrations[:ATTENDED], ctx["door"], "Entrance phone")
    give_feedback(event, registrations, FEEDBACK)


def confirmed(event: Event, users) -> list[Registration]:
    """A confirmed ticket each for `users`, booked in the three weeks before the event and
    reminded two days before it (flushed)."""
    ticket = event.ticket_types[0]
    registrations = []
    for n, user in enumerate(users):
        registered = event.starts_at - timedelta(days=20 - n)
        registrations.append(
            Registration(
                event_id=event.id,
                user_id=user.id,
                ticket_type_id=ticket.id,
                status=S.CONFIRMED,
                active_user_id=user.id,
                holds_seat=True,
                ticket_secret=new_ticket_secret(),
                confirmed_at=registered,
                created_at=registered,
                event_reminder_sent_at=event.starts_at - timedelta(days=2),
            )  # fmt: skip
        )
    db.session.add_all(registrations)
    db.session.flush()
    return registrations


def check_in(event: Event, registrations, door, device: str) -> None:
    """Each of `registrations` scanned in at the door, a few minutes apart, before the start."""
    for n, registration in enumerate(registrations):
        db.session.add(
            CheckIn(
                event_id=event.id,
                registration_id=registration.id,
                point_key="door",
                checked_in_at=event.starts_at - timedelta(minutes=25 - 3 * n),
                staff_id=door.id,
                device=device,
            )  # fmt: skip
        )


def give_feedback(event: Event, registrations, answers) -> None:
    """One answer each, in order: (rating, would recommend, pillars, actions[, comments])."""
    for registration, (rating, recommend, pillars, actions, *comments) in zip(
        registrations, answers, strict=False
    ):
        db.session.add(
            Feedback(
                registration_id=registration.id,
                event_id=event.id,
                rating=rating,
                recommend=recommend,
                pillars=pillars,
                actions=actions,
                comments=comments[0] if comments else "",
            )  # fmt: skip
        )
    db.session.flush()
