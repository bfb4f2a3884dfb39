"""Demo hosts: the engineering innovation centre hosts its visit, approves each visitor, asks
them to accept its safety brief (all five items of PPE, no photography, a gatehouse that wants
number plates) and version 1 of its confidentiality terms, and has one applicant waiting, whose
business shares its benchmark band with hosts."""

from __future__ import annotations

import random
from datetime import timedelta

from app.auth import membership
from app.auth.models import Organisation, Role, User
from app.benchmark.questionnaire import current_questionnaire
from app.demo import benchmark as demo_benchmark
from app.extensions import db
from app.hosts import brief as visit_brief
from app.hosts.models import HostMember, VisitSettings
from app.registration import emails
from app.registration import services as registrations

HOST_ORG = ("Fenland Engineering Innovation Centre Ltd", "13377010", "72", "large", 260, "NR14 8FB")
HOST_PILLARS = ("automation", "innovation")
VISIT_SLUG = "site-visit-innovation-centre"
APPLICANT = 7  # a delegate index: waits for the host's decision

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
    ctx["host"] = host
    db.session.flush()
