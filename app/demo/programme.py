"""Demo venues, events and ticket types, dated relative to the day the seed runs."""

from datetime import date, datetime, time, timedelta

from app.auth.models import Organisation
from app.checkin.models import EventStaff
from app.events.models import Event, EventKind, EventStatus, Room, TicketType, Venue
from app.extensions import db
from app.timeutil import to_local, to_utc

CONFERENCE_SLUG = "productivity-journey"


def conference_date(today: date) -> date:
    """The second Tuesday of the next September at least six weeks away."""
    year = today.year if today < date(today.year, 7, 15) else today.year + 1
    first = date(year, 9, 1)
    first_tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
    return first_tuesday + timedelta(days=7)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hh, mm)))


def _next_weekday(start: date, weekday: int, weeks: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 + 7 * weeks)


CONFERENCE_DESCRIPTION = """\
The programme's annual conference brings together manufacturers from across East Anglia
to share what has worked for them — and what has not.

**What to expect**

- Keynotes on productivity in small and medium manufacturers
- A panel of owners who have led their businesses through change
- Hands-on workshops on lean operations, digital adoption, leadership and skills
- Time to meet peers, suppliers and the programme's advisers

Lunch and refreshments are included. To stay for the evening dinner at the Assembly House,
choose the "Delegate with conference dinner" ticket.
"""


def load(ctx: dict) -> None:
    today = to_local(ctx["now"]).date()
    organisations: list[Organisation] = ctx["organisations"]

    campus = Venue(
        name="Broadland University Conference Centre",
        address="Earlham Road\nNorwich",
        postcode="NR4 7TJ",
    )
    campus.rooms = [
        Room(name="Main Hall", capacity=300, position=0),
        Room(name="Seminar Room A", capacity=40, position=1),
        Room(name="Seminar Room B", capacity=40, position=2),
    ]
    innovation_centre = Venue(
        name="Fenland Engineering Innovation Centre",
        address="Innovation Way\nHethersett, Norfolk",
        postcode="NR14 8FB",
    )
    innovation_centre.rooms = [Room(name="Workshop Floor", capacity=30)]
    db.session.add_all([campus, innovation_centre])

    day = conference_date(today)
    conference = Event(
        slug=CONFERENCE_SLUG,
        title=f"Productivity Journey {day.year}",
        kind=EventKind.CONFERENCE,
        summary="The programme's annual conference: keynotes, a panel and practical workshops.",
        description=CONFERENCE_DESCRIPTION,
        venue=campus,
        starts_at=_at(day, 9),
        ends_at=_at(day, 17),
        status=EventStatus.PUBLISHED,
        capacity=250,
        registration_closes_at=_at(day - timedelta(days=2), 17),
        requires_benchmark=True,
        pillars=["lean", "digital", "leadership", "people"],
    )
    conference.ticket_types = [
        TicketType(name="Delegate", description="Full day, lunch included.", price_pence=0,
                   position=0),
        TicketType(name="Delegate with conference dinner",
                   description="The full day, then three courses at the Assembly House.",
                   price_pence=4500, capacity=80, position=1),
    ]  # fmt: skip

    host_a, host_b = organisations[0], organisations[12]
    visits = [
        Event(
            slug="site-visit-wymondham-precision",
            title="Site visit: Wymondham Precision Engineering",
            kind=EventKind.SITE_VISIT,
            summary="See a 38-person machine shop that halved its lead times with cellular flow.",
            description="A guided walk through the shop floor, then questions with the team "
            "that ran the change. Safety shoes are provided.",
            venue=Venue(
                name=host_a.name, address="Chestnut Drive\nWymondham", postcode=host_a.postcode
            ),  # fmt: skip
            starts_at=_at(_next_weekday(today, 2, 3), 10),
            ends_at=_at(_next_weekday(today, 2, 3), 13),
            capacity=15,
            host_organisation=host_a,
            pillars=["lean", "quality"],
        ),
        Event(
            slug="site-visit-norfolk-agri",
            title="Site visit: Norfolk Agri Machinery",
            kind=EventKind.SITE_VISIT,
            summary="Robotic welding and a shop-floor data system in a 180-person plant.",
            description="How a family business brought in its first robots, and what it "
            "measured before and after.",
            venue=Venue(
                name=host_b.name, address="Station Road\nDereham", postcode=host_b.postcode
            ),  # fmt: skip
            starts_at=_at(_next_weekday(today, 3, 6), 9, 30),
            ends_at=_at(_next_weekday(today, 3, 6), 12, 30),
            capacity=12,
            host_organisation=host_b,
            pillars=["automation", "digital"],
        ),
        Event(
            slug="site-visit-innovation-centre",
            title="Site visit: Fenland Engineering Innovation Centre",
            kind=EventKind.SITE_VISIT,
            summary="Try collaborative robots, 3D printing and vision inspection before you buy.",
            description="Demonstrations on the workshop floor and an introduction to the "
            "centre's support for small manufacturers.",
            venue=innovation_centre,
            starts_at=_at(_next_weekday(today, 1, 8), 13),
            ends_at=_at(_next_weekday(today, 1, 8), 16),
            capacity=20,
            pillars=["automation", "innovation"],
        ),
    ]
    workshop = Event(
        slug="lean-essentials-workshop",
        title="Lean essentials for small manufacturers",
        kind=EventKind.WORKSHOP,
        summary="A practical half day: map one value stream and leave with three actions.",
        description="Bring a product family you know well. We will map it together, find the "
        "waiting and the rework, and agree what to change first.",
        venue=innovation_centre,
        starts_at=_at(_next_weekday(today, 3, 4), 9, 30),
        ends_at=_at(_next_weekday(today, 3, 4), 13),
        capacity=24,
        pillars=["lean", "quality"],
    )
    for event in [*visits, workshop]:
        event.status = EventStatus.PUBLISHED
        event.requires_benchmark = True
        event.ticket_types = [TicketType(name="Delegate", price_pence=0, position=0)]
    db.session.add_all([conference, *visits, workshop])
    db.session.flush()
    for event in [conference, *visits, workshop]:
        db.session.add(EventStaff(event_id=event.id, user_id=ctx["door"].id))
    ctx.update(conference=conference, visits=visits, workshop=workshop, conference_day=day)
    db.session.flush()
