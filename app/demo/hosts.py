"""Demo hosts: the engineering innovation centre hosts its visit, approves each visitor, asks
them to accept its safety brief (all five items of PPE, no photography, a gatehouse that wants
number plates) and version 1 of its confidentiality terms, and has one applicant waiting, whose
business shares its benchmark band with hosts. It also hosted a visit four months ago, so the
host's page has an attendance and visitors' (anonymous) feedback to show."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from app.auth import membership
from app.auth.models import Organisation, Role, User
from app.benchmark.questionnaire import current_questionnaire
from app.demo import benchmark as demo_benchmark
from app.demo import past
from app.events.models import Event, EventKind, EventStatus, TicketType
from app.extensions import db
from app.hosts import brief as visit_brief
from app.hosts.models import HostMember, VisitSettings
from app.registration import emails
from app.registration import services as registrations
from app.timeutil import to_local, to_utc

HOST_ORG = ("Fenland Engineering Innovation Centre Ltd", "13377010", "72", "large", 260, "NR14 8FB")
HOST_PILLARS = ("automation", "innovation")
VISIT_SLUG = "site-visit-innovation-centre"
APPLICANT = 7  # a delegate index: waits for the host's decision

PAST_VISIT_SLUG = "site-visit-innovation-centre-earlier"
PAST_VISITORS = range(1, 8)  # delegate indexes: seven came, six scanned in at the gate
# (rating, would recommend, pillars they will act on, what they will change, comments)
PAST_FEEDBACK = [
    (5, True, ["automation"], "Pilot a cobot on the packing line.", "Worth the drive."),
    (4, True, ["automation", "innovation"], "Cost a vision check for incoming parts.", ""),
    (5, True, ["innovation"], "Book a day on the centre's 3D printers for prototypes.", ""),
    (4, True, ["automation"], "Ask our integrator about a second robot cell.", "Good lunch."),
    (3, False, ["innovation"], "", "More time on the shop floor, less in the meeting room."),
]

CONFIDENTIALITY = """\
Some of the equipment you will see belongs to client projects. You agree not to disclose what
you see of client work, and not to approach the centre's clients about it.
"""


def load(ctx: dict) -> None:
    now = ctx["now"]
    name, number, sector, band, fte, postcode = HOST_ORG
    org = Organisation(
        name=name, companies_house_number=number, sector=sector, size_band=band, fte=fte,
        postcode=postcode, verified_at=now,
    )  # fmt: skip
    host = User(
        email="host@example.com", name="Harriet Cole", role=Role.DELEGATE,
        job_title="Centre Manager", organisation=org, email_verified_at=now,
        is_business_admin=True,
    )  # fmt: skip
    host.set_password("host")
    db.session.add_all([org, host])
    db.session.flush()
    rng = random.Random(9014)
    targets = {key: rng.uniform(1.5, 3.0) for key in current_questionnaire().pillar_keys}
    answers = demo_benchmark._answers(rng, targets, HOST_PILLARS)
    db.session.add(
        demo_benchmark._response(
            org, host, answers, demo_benchmark._metrics(rng, org), now - timedelta(days=40)
        )
    )

    visit = next(v for v in ctx["visits"] if v.slug == VISIT_SLUG)
    visit.host_organisation = org
    db.session.add_all(
        [
            HostMember(user_id=host.id, organisation_id=org.id, marked_by_id=ctx["organiser"].id),
            VisitSettings(
                event_id=visit.id,
                requires_approval=True,
                excluded_businesses="",
                excluded_sectors="26 (a client's competitors make electronics)",
            ),
        ]
    )
    db.session.flush()
    visit_brief.save_brief(
        host, visit,
        ppe=["safety_boots", "hi_vis", "eye_protection", "long_clothing", "no_jewellery"],
        ppe_notes="Bring your own safety boots, or tell us your size a week ahead. Hi-vis vests "
        "and glasses are handed out at reception.",
        photography="none",
        meeting_point="Main reception, Innovation Way entrance",
        parking="Visitor bays on the left past the barrier; give your registration at the gate.",
        ask_for="Harriet Cole, Centre Manager",
        asks_vehicle=True,
    )  # fmt: skip
    terms = visit_brief.save_terms(host, visit, CONFIDENTIALITY)
    db.session.flush()

    applicant = ctx["delegates"][APPLICANT]
    # The applicant's business lets hosts see its benchmark band.
    membership.set_band_sharing(applicant, applicant.organisation, True, now)
    with emails.quiet():
        registration = registrations.register_delegate(
            applicant, visit, visit.ticket_types[0], now=now
        )
    visit_brief.record_consent(registration, visit_brief.Consent(terms, "AB12 CDE"), now)
    _past_visit(ctx, org, visit)
    ctx["host"] = host
    db.session.flush()


def _past_visit(ctx: dict, org: Organisation, upcoming: Event) -> None:
    """The centre's previous visit: held four months ago, with its attendance and feedback."""
    day = to_local(ctx["now"]).date() - timedelta(days=120)
    starts = to_utc(datetime.combine(day, time(13)))
    visitors = [ctx["delegates"][i] for i in PAST_VISITORS]
    event = Event(
        slug=PAST_VISIT_SLUG, title="Site visit: Fenland Engineering Innovation Centre (earlier)",
        kind=EventKind.SITE_VISIT, venue=upcoming.venue, host_organisation=org,
        summary="The centre's previous open afternoon: robot cells, vision systems, 3D printing.",
        description="Held earlier this year; the next visit is in the programme above.",
        starts_at=starts, ends_at=starts + timedelta(hours=3), status=EventStatus.PUBLISHED,
        capacity=12, seats_taken=len(visitors), requires_benchmark=True,
        pillars=list(HOST_PILLARS),
    )  # fmt: skip
    ticket = TicketType(name="Visitor", price_pence=0, position=0, seats_taken=len(visitors))
    event.ticket_types = [ticket]
    db.session.add(event)
    db.session.flush()
    came = past.confirmed(event, visitors)
    past.check_in(event, came[:-1], ctx["door"], "Gatehouse phone")  # the last one did not come
    past.give_feedback(event, came, PAST_FEEDBACK)
