"""A site visit on a phone (390x844) in real Chromium: a delegate reads the safety brief and
applies, accepting the terms by version; the host approves from its own phone; the delegate's
ticket then has its QR code and repeats what to wear and how to arrive."""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.demo import seed_demo
from app.demo.hosts import VISIT_SLUG
from app.extensions import db
from app.hosts.models import VisitAcceptance
from app.registration.models import Registration

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _phone(browser, live_server, email: str, password: str):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_apply_the_host_approves_and_the_ticket_shows_the_ppe(browser, live_server, artifacts_dir):
    seed_demo()
    db.session.commit()
    dana = db.session.execute(select(User).where(User.email == "delegate@example.com")).scalar_one()

    delegate_context, page = _phone(browser, live_server, "delegate@example.com", "delegate")
    page.goto(f"/events/{VISIT_SLUG}/register")
    brief = page.locator(".visit-brief")
    for item in ("Safety boots", "A hi-vis vest or jacket", "Eye protection"):
        assert brief.get_by_text(item, exact=True).is_visible()
    assert page.get_by_text("No photographs or video anywhere on site.").first.is_visible()
    _fits(page)
    page.get_by_label("Vehicle registration").fill("dw26 kit")
    consent = page.get_by_role("checkbox", name="I will wear the PPE in the safety brief")
    assert "version 1" in consent.evaluate("el => el.labels[0].textContent")
    consent.check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/me/tickets**")
    card = page.locator(".ticket-card", has_text="Fenland Engineering Innovation Centre")
    assert "awaiting the host" in card.inner_text().lower()
    assert card.locator("img.ticket-qr").count() == 0
    registration = db.session.execute(
        select(Registration).where(Registration.user_id == dana.id,
                                   Registration.status == "awaiting_host")
    ).scalar_one()  # fmt: skip
    acceptance = db.session.get(VisitAcceptance, registration.id)
    assert (acceptance.terms_version, acceptance.vehicle_registration) == (1, "DW26 KIT")

    host_context, host = _phone(browser, live_server, "host@example.com", "host")
    for path in (f"/host/{VISIT_SLUG}/brief", f"/checkin/{VISIT_SLUG}", f"/host/{VISIT_SLUG}"):
        host.goto(path)
        _fits(host)
    host.get_by_role("button", name="Approve Dana Whitlock").click()
    host.get_by_text("Dana Whitlock is approved").wait_for()
    host_context.close()

    page.goto("/me/tickets")
    card = page.locator(".ticket-card", has_text="Fenland Engineering Innovation Centre")
    assert card.locator("img.ticket-qr").is_visible()
    before = card.get_by_role("region", name="Before you visit")
    for item in ("Safety boots", "A hi-vis vest or jacket", "Eye protection",
                 "Long sleeves and trousers", "No loose jewellery"):  # fmt: skip
        assert before.get_by_text(item, exact=True).is_visible()
    assert before.get_by_text("Meeting point: Main reception").is_visible()
    assert before.get_by_role("link", name="Map of NR14 8FB").is_visible()
    _fits(page)
    page.screenshot(path=f"{artifacts_dir}/site-visit-ticket-phone.png", full_page=True)
    delegate_context.close()
