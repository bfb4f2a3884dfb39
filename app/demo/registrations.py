"""Demo registrations: most delegates hold confirmed conference tickets; a few are waiting for
payment, the benchmark or a place, so every state shows on the organiser screens.

Runs after the benchmark step, through the same services as the site (seats counted by the
same conditional updates), with emails switched off.
"""

from __future__ import annotations

from app.auth.models import Organisation, Role, User
from app.events.models import SessionKind
from app.extensions import db
from app.registration import emails, services

# A delegate whose business has not done the benchmark yet (pending_benchmark).
NEWCOMER = ("sophie.lane@example.com", "Sophie Lane", "Operations Manager")
NEWCOMER_ORG = ("Thetford Gearcutting Ltd", "12873390", "28", "micro", 9, "IP24 3RL")
DINNER_UNPAID, DINNER_PAID = 10, 11  # delegate indexes with conference dinner tickets
SITE_VISIT_WAITLISTED = 13  # joins the full Norfolk Agri visit's waiting list


def load(ctx: dict) -> None:
    now = ctx["now"]
    delegates: list[User] = ctx["delegates"]
    organiser: User = ctx["organiser"]
    conference = ctx["conference"]
    standard, dinner = conference.ticket_types[0], conference.ticket_types[1]

    name, number, sector, band, fte, postcode = NEWCOMER_ORG
    newcomer_org = Organisation(
        name=name, companies_house_number=number, sector=sector, size_band=band, fte=fte,
        postcode=postcode,
    )  # fmt: skip
    email, person, title = NEWCOMER
    newcomer = User(
        email=email, name=person, role=Role.DELEGATE, job_title=title, organisation=newcomer_org,
        email_verified_at=now, is_business_admin=True,
    )  # fmt: skip
    newcomer.set_password("demo-delegate")
    db.session.add_all([newcomer_org, newcomer])
    db.session.flush()

    with emails.quiet():
        registrations = {}
        for i, user in enumerate(delegates):
            ticket = dinner if i in (DINNER_UNPAID, DINNER_PAID) else standard
            registrations[i] = services.register_delegate(user, conference, ticket, now=now)
        services.mark_paid(
            registrations[DINNER_PAID], organiser, amount_pence=dinner.price_pence, now=now
        )
        # The demo delegate's business has a benchmark; confirm by hand should it ever not.
        if registrations[0].status != services.S.CONFIRMED:
            services.confirm_registration(registrations[0], organiser, now=now)
        services.register_delegate(newcomer, conference, standard, now=now)

        # A site visit that is full, with a waiting list.
        visit = next(v for v in ctx["visits"] if v.slug == "site-visit-norfolk-agri")
        seats = visit.capacity or 0
        visitors = [u for i, u in enumerate(delegates) if i not in (12, SITE_VISIT_WAITLISTED)]
        for user in visitors[:seats]:
            services.register_delegate(user, visit, visit.ticket_types[0], now=now)
        for user in (delegates[SITE_VISIT_WAITLISTED], newcomer):
            services.register_delegate(
                user, visit, visit.ticket_types[0], now=now, join_waitlist=True
            )

        # Workshop seats inside the conference.
        workshops = [s for s in ctx["sessions"] if s.kind == SessionKind.WORKSHOP]
        morning = [w for w in workshops if w.starts_at == min(x.starts_at for x in workshops)]
        afternoon = [w for w in workshops if w not in morning]
        bookings = [(0, morning[0]), (0, afternoon[0]), (1, morning[-1]), (2, afternoon[-1])]
        for index, session in bookings:
            if registrations[index].status == services.S.CONFIRMED:
                services.book_session(delegates[index], session, now=now)
    db.session.flush()
