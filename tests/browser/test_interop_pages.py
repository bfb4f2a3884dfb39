"""The API tokens, webhooks and import pages in Chromium with axe-core (WCAG 2 A and AA) on
desktop and phone, and the import's dry run reached by uploading a file."""

import pytest
from sqlalchemy import select

from app.api.tokens import create_api_token
from app.auth.models import Role
from app.extensions import db
from app.webhooks.delivery import deliver_due
from app.webhooks.services import add_webhook_endpoint
from tests.browser.test_accessibility import _check, _problems, _sign_in
from tests.factories import PASSWORD, make_event, make_user
from tests.factories_checkin import make_registration

pytestmark = pytest.mark.browser


def test_interop_pages_are_accessible_on_desktop_and_phone(page, tmp_path):
    boss = make_user(Role.ORGANISER, email="boss@example.com")
    event = make_event(title="Lean Day", requires_benchmark=False)
    create_api_token(boss, boss, name="CRM sync", scopes=["read", "write"])
    endpoint = add_webhook_endpoint(None, "http://127.0.0.1:9/hook", "s" * 24,
                                    ["registration.confirmed", "checkin.created"])  # fmt: skip
    make_registration(event, make_user())
    db.session.commit()
    from app.checkin.services import redeem_ticket
    from app.registration.models import Registration

    reg = db.session.execute(select(Registration)).scalar_one()
    redeem_ticket(event, boss, code=reg.ticket_secret, nonce="a11y")
    db.session.commit()
    deliver_due()  # nobody listens on port 9: a failed try in the log

    _sign_in(page, "boss@example.com", PASSWORD)
    found = _check(
        page,
        ["/organiser/api-tokens", "/organiser/webhooks", f"/organiser/webhooks/{endpoint.id}",
         f"/organiser/events/{event.id}/import"],
    )  # fmt: skip

    # The dry run's table, on a phone.
    csv_file = tmp_path / "delegates.csv"
    csv_file.write_text("email,name\nann@example.com,Ann Able\nnot-an-email,Bob\n")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/organiser/events/{event.id}/import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert page.get_by_text("2 rows, 1 to correct").is_visible()
    assert page.get_by_text("“not-an-email” is not an email address.").is_visible()
    problems = _problems(page)
    if problems:
        found["import dry run @390px"] = problems
    report = [f"{where}: {problem}" for where, problems in found.items() for problem in problems]
    assert not report, "\n".join(report)
