"""A business records an outcome in real Chromium, an organiser verifies it, and the
dashboard's figure for the target moves."""

import os
from datetime import date

import pytest

from app.auth.models import Role
from app.extensions import db
from tests.factories import PASSWORD, make_organisation, make_user
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, dated_event, make_programme

pytestmark = pytest.mark.browser


def _sign_in(page, user) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_business_claims_organiser_verifies_dashboard_moves(page, browser, live_server,
                                                            artifacts_dir):  # fmt: skip
    boss = make_user(Role.ORGANISER, email="olive@example.com", name="Olive Organiser")
    make_programme(boss)
    org = make_organisation("Tas Valley Fabrication Ltd")
    member = make_user(organisation=org, email="tess@example.com", name="Tess Valley")
    admit(make_registration(dated_event(date(2026, 7, 14), 9, hours=6), member))
    db.session.commit()

    _sign_in(page, member)
    page.get_by_role("link", name="My business").click()
    page.get_by_role("heading", name="Tas Valley Fabrication Ltd").wait_for()
    assert page.get_by_test_id("support-hours").inner_text() == "6"
    page.get_by_label("What happened").select_option(label="A new product, process or service")
    assert page.get_by_label("New to").is_visible()
    assert not page.get_by_label("Jobs (full-time equivalent)").is_visible()
    page.get_by_label("What happened").select_option(label="Jobs created")
    assert not page.get_by_label("New to").is_visible()
    page.get_by_label("Role, product or partner").fill("CNC setters")
    page.get_by_label("Jobs (full-time equivalent)").fill("2.5")
    page.get_by_label("Date").first.fill("2026-09-01")
    page.get_by_label("Description").fill("A second shift on the new cell.")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=os.path.join(artifacts_dir, "outcomes-business-phone.png"), full_page=True)
    page.get_by_role("button", name="Record outcome").click()
    page.get_by_text("Outcome recorded").wait_for()
    assert page.get_by_test_id("claim-status").inner_text() == "Awaiting verification"

    staff = browser.new_context(base_url=live_server.url)
    office = staff.new_page()
    office.set_default_timeout(10_000)
    _sign_in(office, boss)
    office.goto("/organiser/outcomes")
    assert office.get_by_test_id("verified-jobs_fte").inner_text() == "0"
    assert office.get_by_test_id("pending-jobs_fte").inner_text() == "2.5"
    claim = office.locator("[data-claim]").filter(has_text="CNC setters")
    claim.get_by_label("Decision").select_option(label="Verify")
    claim.get_by_label("Note").fill("Payroll seen")
    claim.get_by_role("button", name="Save").click()
    office.get_by_text("Claim verified").wait_for()
    assert office.get_by_test_id("verified-jobs_fte").inner_text() == "2.5"
    assert office.get_by_test_id("pending-jobs_fte").inner_text() == "0"
    office.screenshot(path=os.path.join(artifacts_dir, "outcomes-dashboard.png"), full_page=True)
    staff.close()

    page.reload()
    assert page.get_by_test_id("claim-status").inner_text() == "Verified"
    page.get_by_text("Note from the programme team: Payroll seen").wait_for()
