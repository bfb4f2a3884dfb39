"""Every main page checked in Chromium with axe-core (WCAG 2 A and AA rules): no serious or
critical problems, for visitors, delegates, organisers and door staff, on desktop and phone."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.demo import seed_demo
from app.demo.hosts import VISIT_SLUG
from app.events.models import Event, Speaker
from app.extensions import db
from app.registration.models import Registration

pytestmark = pytest.mark.browser

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")  # axe-core 4.11, MPL-2.0
SERIOUS = ("serious", "critical")
# axe has no rule for WCAG 1.4.11 (non-text contrast): the edge of every visible, enabled form
# control must be 3:1 against what is behind it, or an empty box or unticked radio vanishes.
CONTROL_EDGES = Path(__file__).with_name("control_edges.js").read_text(encoding="utf-8")


def _problems(page) -> list[str]:
    # Evaluated through the DevTools protocol, as a test tool, not as a <script> the page's
    # Content-Security-Policy would (rightly) refuse.
    with open(AXE, encoding="utf-8") as source:
        page.evaluate(source.read() + "\n;0")
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {n['target']}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
        for n in v["nodes"][:3]
    ] + [f"non-text contrast (WCAG 1.4.11): {c}" for c in page.evaluate(CONTROL_EDGES)]


def _sign_in(page, email, password):
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _check(page, paths) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(path)
            assert response.status == 200, path
            problems = _problems(page)
            if problems:
                found[f"{path} @{width}px"] = problems
    return found


def test_main_pages_have_no_serious_accessibility_problems(page):
    seed_demo()
    db.session.commit()
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    speaker = db.session.execute(select(Speaker).order_by(Speaker.id)).scalars().first()
    slug, eid = conference.slug, conference.id
    assert db.session.execute(select(User).where(User.email == "door@example.com")).scalar()

    found = _check(
        page,
        ["/", f"/events/{slug}", f"/events/{slug}/agenda", f"/events/{slug}/agenda/changes",
         "/speakers", f"/speakers/{speaker.slug}", "/auth/login", "/auth/signup"],
    )  # fmt: skip
    _sign_in(page, "delegate@example.com", "delegate")
    mine = db.session.execute(
        select(Registration.id)
        .join(User, User.id == Registration.user_id)
        .where(User.email == "delegate@example.com", Registration.event_id == eid)
    ).scalar_one()
    paid = (
        db.session.execute(select(Registration.id).where(Registration.amount_due_pence > 0))
        .scalars()
        .first()
    )
    found |= _check(page, ["/me/tickets", "/benchmark", f"/events/{slug}/register", "/me",
                          f"/me/registrations/{mine}/answers", "/benchmark/step/lean",
                          "/me/settings", "/me/delete", f"/me/registrations/{mine}/transfer",
                          f"/events/{slug}/register/colleague", "/business/outcomes",
                          f"/events/{VISIT_SLUG}/register"])  # fmt: skip
    busy = db.session.execute(  # a business with hours, claims and a declaration
        select(User.organisation_id).where(User.email == "tom.barker@example.com")
    ).scalar_one()
    _sign_in(page, "organiser@example.com", "organiser")
    found |= _check(
        page,
        ["/organiser/", f"/organiser/events/{eid}", f"/organiser/events/{eid}/agenda",
         f"/organiser/events/{eid}/registrations", f"/organiser/events/{eid}/messages",
         f"/organiser/events/{eid}/attendance", f"/organiser/events/{eid}/feedback",
         f"/organiser/events/{eid}/registrations/new", f"/organiser/events/{eid}/cancel",
         f"/organiser/events/{eid}/edit", "/organiser/benchmark", "/organiser/speakers",
         f"/organiser/events/{eid}/questions", f"/organiser/events/{eid}/questions/new",
         f"/me/registrations/{paid}/invoice", "/organiser/outcomes", "/organiser/outcomes/setup",
         f"/organiser/outcomes/businesses/{busy}"],
    )  # fmt: skip
    _sign_in(page, "host@example.com", "host")
    found |= _check(page, ["/host", f"/host/{VISIT_SLUG}", f"/host/{VISIT_SLUG}/brief",
                           f"/host/{VISIT_SLUG}/visitors/print", f"/checkin/{VISIT_SLUG}",
                           f"/events/{VISIT_SLUG}/visit-terms/1"])  # fmt: skip
    _sign_in(page, "door@example.com", "door")
    found |= _check(page, [f"/checkin/{slug}"])
    report = [f"{where}: {problem}" for where, problems in found.items() for problem in problems]
    assert not report, "\n".join(report)
