"""The alliance's funded programme, part-way through its five years: six county networks,
the funder's targets (380 jobs, 20 start-ups, 24 collaborations, 96 new products), last
year's conference and a masterclass whose check-ins give support hours, signed
declarations (one business still to sign, one that declined to be named), and outcome
claims in every state.

The demo delegate's own business is left out (its login keeps exactly what DESIGN.md says),
and the past events carry no pillar, so the benchmark impact view is unchanged.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.auth.models import Organisation
from app.checkin.models import CheckIn
from app.events.models import AgendaSession, Event, EventKind, EventStatus, SessionKind, TicketType
from app.extensions import db
from app.outcomes import services
from app.outcomes.models import EventNetwork, Network
from app.registration.models import Registration
from app.registration.models import RegistrationStatus as S
from app.registration.tickets import new_ticket_secret
from app.timeutil import to_local, to_utc

NETWORKS = [
    "Norwich",
    "Broadland & South Norfolk",
    "Breckland",
    "North Norfolk",
    "Great Yarmouth",
    "King's Lynn & West Norfolk",
]
EVENT_NETWORKS = {
    "productivity-journey": "Norwich",
    "lean-essentials-workshop": "Broadland & South Norfolk",
    "site-visit-wymondham-precision": "Broadland & South Norfolk",
    "site-visit-norfolk-agri": "Breckland",
    "site-visit-innovation-centre": "Broadland & South Norfolk",
    "lean-essentials-spring": "Breckland",
    "productivity-journey-last-year": "Norwich",
    "digital-masterclass-kings-lynn": "King's Lynn & West Norfolk",
}
START_UPS = [("Wensum Robotics Ltd", "15520418"), ("Glaven Additive Ltd", "15877302")]

# (organisation index, kind, title, detail, FTE, description, months ago, decision)
# fmt: off
CLAIMS = [
    (1, "jobs", "Two CNC setters and a planner", "", "3", "Second shift on the new cell.", 14, "v"),
    (2, "jobs", "Press brake operators", "", "2", "Work won after cutting lead times.", 10, "v"),
    (3, "jobs", "Apprentice toolmakers", "",
     "2.5", "Two apprentices and a part-time trainer.", 9, "v"),
    (5, "jobs", "Line leaders and operators", "", "12", "A third production line.", 8, "v"),
    (7, "jobs", "Test engineers", "", "6", "In-house test instead of subcontracting.", 7, "v"),
    (10, "jobs", "Moulding technicians", "", "8.5", "Night shift for a new contract.", 6, "v"),
    (12, "jobs", "Field service engineers", "", "9", "Service arm for export customers.", 5, "v"),
    (4, "jobs", "Welders", "", "4", "Two coded welders, full time.", 1, None),
    (1, "product", "Quick-change fixture range", "new_to_firm",
     None, "Sold to three customers.", 13, "v"),
    (2, "product", "Flat-pack machine guards", "new_to_market",
     None, "Designed with a customer.", 11, "v"),
    (5, "product", "Gluten-free bake line", "new_to_firm",
     None, "A new line at the plant.", 9, "v"),
    (7, "product", "Conformal coating service", "new_to_firm",
     None, "Offered to local firms.", 8, "v"),
    (8, "product", "Wireless strain sensor", "new_to_market", None, "Patent filed.", 6, "v"),
    (10, "product", "Recycled-content housings", "new_to_market",
     None, "30% recycled resin.", 4, "v"),
    (12, "product", "Remote monitoring kit", "new_to_firm",
     None, "For the grain dryer range.", 3, "v"),
    (3, "product", "Kanban supply for customers", "new_to_firm",
     None, "A new service, first seen on the visit to Fenland Engineering Innovation Centre.",
     1, None),
    (1, "collaboration", "Broadland University", "university",
     None, "Cutting-tool wear study.", 12, "v"),
    (8, "collaboration", "Cam Photonics Ltd", "business",
     None, "Joint sensor development.", 7, "v"),
    (5, "collaboration", "City College Norwich", "college",
     None, "Food-tech apprenticeships.", 6, "v"),
    (12, "collaboration", "Broadland University", "university",
     None, "Knowledge transfer partnership.", 4, "v"),
    (2, "collaboration", "Breckland Fabrications Ltd", "business",
     None, "Shared laser capacity.", 2, None),
    (9, "product", "Composite hull repair kit", "new_to_market", None, "Not yet on sale.", 2, "r"),
]
# fmt: on


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


def _past_event(ctx, slug, title, kind, day, hours, break_at=None):
    starts = to_utc(datetime.combine(day, time(9)))
    event = Event(
        slug=slug, title=title, kind=kind, venue=ctx["workshop"].venue, starts_at=starts,
        ends_at=starts + timedelta(hours=hours), status=EventStatus.PUBLISHED, capacity=200,
        requires_benchmark=True, pillars=[],
        summary="Held earlier in the programme.", description="Held earlier in the programme.",
    )  # fmt: skip
    event.ticket_types = [TicketType(name="Delegate", price_pence=0, position=0)]
    db.session.add(event)
    db.session.flush()
    if break_at is not None:
        db.session.add(
            AgendaSession(
                event_id=event.id,
                title="Lunch",
                kind=SessionKind.BREAK,
                starts_at=to_utc(datetime.combine(day, break_at)),
                ends_at=to_utc(datetime.combine(day, break_at)) + timedelta(hours=1),
            )  # fmt: skip
        )
    return event


def _attend(ctx, event, users) -> None:
    ticket = event.ticket_types[0]
    for n, user in enumerate(users):
        registration = Registration(
            event_id=event.id, user_id=user.id, ticket_type_id=ticket.id, status=S.CONFIRMED,
            active_user_id=user.id, holds_seat=True, ticket_secret=new_ticket_secret(),
            confirmed_at=event.starts_at - timedelta(days=14),
            created_at=event.starts_at - timedelta(days=14),
            event_reminder_sent_at=event.starts_at - timedelta(days=2),
        )  # fmt: skip
        db.session.add(registration)
        db.session.flush()
        db.session.add(
            CheckIn(
                event_id=event.id,
                registration_id=registration.id,
                point_key="door",
                checked_in_at=event.starts_at - timedelta(minutes=20 - n),
                staff_id=ctx["door"].id,
                device="Entrance phone",
            )  # fmt: skip
        )
    event.seats_taken = ticket.seats_taken = len(users)


def load(ctx: dict) -> None:
    today = to_local(ctx["now"]).date()
    organiser, delegates = ctx["organiser"], ctx["delegates"]
    orgs: list[Organisation] = ctx["organisations"]
    start = _months_ago(today, 24).replace(day=1)
    programme = services.save_programme(
        organiser,
        services.ProgrammeData(
            name="Norfolk Manufacturing Alliance",
            funder="European Regional Development Fund",
            starts_on=start,
            ends_on=start.replace(year=start.year + 5) - timedelta(days=1),
            threshold_hours=Decimal(12),
            mfa_limit_gbp=315_000,
        ),  # fmt: skip
        {"jobs_fte": 380, "start_ups": 20, "collaborations": 24, "new_products": 96},
    )
    networks = {name: Network(name=name) for name in NETWORKS}
    db.session.add_all(networks.values())
    last_year = _past_event(
        ctx, "productivity-journey-last-year", "Productivity Journey (last year)",
        EventKind.CONFERENCE, _months_ago(today, 15), 8, break_at=time(12, 30),
    )  # fmt: skip
    masterclass = _past_event(
        ctx, "digital-masterclass-kings-lynn", "Digital adoption masterclass",
        EventKind.WORKSHOP, _months_ago(today, 9), 7, break_at=time(12, 30),
    )  # fmt: skip
    _attend(ctx, last_year, delegates[1:13])  # 7 hours each
    _attend(ctx, masterclass, delegates[1:8])  # 6 hours each, with the spring workshop's 3.5
    db.session.flush()
    events = db.session.execute(db.select(Event.slug, Event.id)).all()
    for slug, event_id in events:
        if slug in EVENT_NETWORKS:
            db.session.add(
                EventNetwork(event_id=event_id, network_id=networks[EVENT_NETWORKS[slug]].id)
            )
    # Every business with a delegate signs, but one still to sign and one not to be named.
    for i in range(1, 13):
        if i == 6:
            continue
        member = delegates[i]
        services.sign_declaration(
            member, programme, orgs[i], headcount_band="10-49" if i != 5 else "50-249",
            turnover_band="2m-10m", subsidies_gbp=12_000 * i, consent_to_name=i != 11,
            signed_name=member.name, signed_on=_months_ago(today, 16 - i % 4),
        )  # fmt: skip
    start_ups = []
    for name, number in START_UPS:
        org = Organisation(name=name, companies_house_number=number, sector="28",
                           size_band="micro", fte=3)  # fmt: skip
        db.session.add(org)
        db.session.flush()
        start_ups.append(org)
        services.sign_declaration(
            organiser, programme, org, headcount_band="0-9", turnover_band="under-2m",
            subsidies_gbp=0, consent_to_name=True, signed_name="Founder (by phone)",
            signed_on=_months_ago(today, 5),
        )  # fmt: skip
    for i, org in enumerate(start_ups):
        claim = services.record_claim(organiser, programme, org, services.ClaimData(
            kind="start_up", description="Incorporated after the start-up clinic.",
            occurred_on=_months_ago(today, 6 - i),
        ))  # fmt: skip
        if i == 0:
            services.review_claim(organiser, claim, "verified", "Companies House record seen.",
                                  now=ctx["now"])  # fmt: skip
    for index, kind, title, detail, fte, description, months, decision in CLAIMS:
        member = delegates[index]
        claim = services.record_claim(
            member, programme, orgs[index],
            services.ClaimData(
                kind=kind, description=description, occurred_on=_months_ago(today, months),
                title=title, detail=detail, quantity=Decimal(fte or 1),
            ),
        )  # fmt: skip
        if decision == "v":
            services.review_claim(organiser, claim, "verified", "Evidence seen on the visit.",
                                  now=ctx["now"])  # fmt: skip
        elif decision == "r":
            services.review_claim(organiser, claim, "rejected",
                                  "Not yet on the market: claim it again at launch.",
                                  now=ctx["now"])  # fmt: skip
    db.session.flush()
