"""In real Chromium, under the real Content-Security-Policy: an outsider names an existing
business, sees nothing of it, is approved by the business's admin, then sees its results."""

import pytest

from app.extensions import db
from tests.factories import PASSWORD, make_organisation, make_user
from tests.factories_benchmark import make_submission

pytestmark = pytest.mark.browser


def _watch_csp(page, violations: list[str]) -> None:
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )


def _sign_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_an_outsider_is_approved_by_the_business_admin_before_seeing_results(
    page, browser, live_server, outbox
):
    org = make_organisation("Loddon Laser Ltd", companies_house_number="04512345",
                            sector="25", size_band="small")  # fmt: skip
    admin = make_user(email="ada@loddon.example", name="Ada Admin", organisation=org,
                      is_business_admin=True)  # fmt: skip
    results = make_submission(org, user=admin, level=3)
    make_user(email="sid@elsewhere.example", name="Sid Outsider")
    db.session.commit()
    violations: list[str] = []
    _watch_csp(page, violations)

    # The outsider names the business, in other letters: a request, nothing more.
    _sign_in(page, "sid@elsewhere.example")
    page.goto("/benchmark")
    page.get_by_role("button", name="Start the benchmark").click()
    page.get_by_label("Business name").fill("loddon LASER ltd")
    page.get_by_label("Sector (SIC division)").select_option("25")
    page.get_by_label("Size (full-time equivalent employees)").select_option("small")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Waiting to join Loddon Laser Ltd").wait_for()
    assert page.get_by_role("link", name="See the results").count() == 0
    response = page.goto(f"/benchmark/results/{results.public_id}")
    assert response.status == 404
    assert [m["To"] for m in outbox] == ["ada@loddon.example"]

    # The admin approves on the members page, in their own browser.
    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    admin_page.set_default_timeout(10_000)
    _watch_csp(admin_page, violations)
    try:
        _sign_in(admin_page, "ada@loddon.example")
        admin_page.goto("/me")
        admin_page.get_by_role("link", name="Members of Loddon Laser Ltd").click()
        admin_page.get_by_role("heading", name="Asking to join").wait_for()
        admin_page.get_by_role("button", name="Approve Sid Outsider").click()
        admin_page.get_by_text("Sid Outsider is now a member of Loddon Laser Ltd.").wait_for()
        admin_page.set_viewport_size({"width": 390, "height": 844})
        admin_page.reload()
        assert admin_page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        admin_context.close()

    # Now the outsider is a member and sees the business's results.
    page.goto("/benchmark")
    page.get_by_role("heading", name="Loddon Laser Ltd").wait_for()
    page.get_by_role("link", name="See the results").click()
    page.get_by_role("heading", name="Benchmark results").wait_for()
    assert page.url.endswith(f"/benchmark/results/{results.public_id}")
    assert violations == []
