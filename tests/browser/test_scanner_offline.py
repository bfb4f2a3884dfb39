"""The scanner with no signal, in real Chromium on a phone-sized screen: it gets ready (door
list in IndexedDB, service worker), goes offline, opens again from its own copy, admits a
ticket on the device, refuses the same ticket again, finds people by name, and once the
signal returns the server holds one admission at the offline time."""

import os

import pytest
from sqlalchemy import select

from app.checkin.models import CheckIn, CheckInConflict
from app.extensions import db
from app.timeutil import utcnow
from tests.browser.test_accessibility import _problems
from tests.factories import PASSWORD, make_event, make_organisation, make_user, organiser
from tests.factories_checkin import make_door_staff, make_registration

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def result_text(page, want: str) -> str:
    page.wait_for_function(
        """(want) => {
            const r = document.getElementById("result");
            if (r.classList.contains("d-none") || r.dataset.result !== want) return false;
            window.seenText = r.innerText;
            return true;
        }""",
        arg=want,
        polling=50,
    )
    return page.evaluate("window.seenText")


def type_code(page, code: str) -> None:
    page.get_by_label("Ticket code").fill(code)
    page.get_by_label("Ticket code").press("Enter")


def test_offline_scans_are_judged_on_the_phone_and_synced_at_their_time(
    browser, live_server, artifacts_dir
):
    event = make_event(
        slug="yard-visit", title="Site visit: Breckland Precision", kind="site_visit"
    )
    staff = make_door_staff(event, name="Yara Yard", email="yard@example.com")
    ada = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    make_registration(event, make_user(name="Bob Barker"), status="pending_benchmark")
    db.session.commit()
    code = ada.ticket_secret
    shot = lambda page, name: page.screenshot(path=os.path.join(artifacts_dir, name))  # noqa: E731

    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/auth/login")
        page.get_by_label("Email").fill(staff.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/checkin/yard-visit")  # their only event's scanner, straight away
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.get_by_role("button", name="Get ready for no signal").click()
        page.wait_for_selector('#scanner[data-door-list="1"]')  # one ticket: Bob has none yet
        assert (
            "Ready for no signal: 1 ticket (2 people in all), list from"
            in page.locator("#door-status").inner_text()
        )
        page.reload()  # now under the service worker, which keeps a copy of the page
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        shot(page, "scanner-offline-ready.png")

        context.set_offline(True)
        before = utcnow().replace(microsecond=0)
        reopened = page.goto("/checkin/yard-visit?camera=off")
        assert reopened.from_service_worker
        page.wait_for_selector('#scanner[data-door-list="1"]')

        type_code(page, code)
        text = result_text(page, "ok")
        assert "Ada Lovelace" in text and "Anglia Castings" in text
        assert "Offline: checked on this phone against the door list" in text
        shot(page, "scanner-offline-admitted.png")
        page.keyboard.press("Escape")  # green clears itself; no need to wait

        type_code(page, code.lower())  # the same ticket, typed sloppily
        text = result_text(page, "already_checked_in")
        assert "Already checked in on this phone at " in text
        assert "Offline:" in text
        shot(page, "scanner-offline-already.png")
        assert not _problems(page), _problems(page)  # red stays: checked while showing
        page.locator("#result").click()

        type_code(page, "JRN1-NOTAREALTICKETATALLNOPE")
        assert "not a valid ticket" in result_text(page, "unknown_code").lower()
        page.locator("#result").click()
        after = utcnow()

        page.get_by_label("Search by name or business").fill("bob")
        page.get_by_role("button", name="Bob Barker").click()
        card = page.locator("#attendee-card")
        card.wait_for(state="visible")
        assert "Benchmark pending" in card.inner_text()
        assert "Offline: from the door list on this phone." in card.inner_text()
        shot(page, "scanner-offline-card.png")
        assert not _problems(page), _problems(page)
        page.get_by_role("button", name="Check in at Entrance (event door)").click()
        text = result_text(page, "benchmark_pending")  # amber: stays until tapped
        assert "Bob Barker" in text and "Offline:" in text
        page.wait_for_timeout(3500)
        assert page.locator("#result").is_visible()
        shot(page, "scanner-offline-amber.png")
        page.locator("#result").click()
        assert "Offline: from the door list" in page.locator("#search-status").inner_text()
        assert page.locator("#scanner").get_attribute("data-queued") == "4"
        assert db.session.execute(select(CheckIn)).first() is None  # nothing sent yet
        shot(page, "scanner-offline-search.png")

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector('#scanner[data-queued="0"]', state="attached")

        page.get_by_role("button", name="Remove the door list from this phone").click()
        page.wait_for_selector('#scanner[data-door-list="none"]', state="attached")
        left = page.evaluate(
            """() => new Promise((done) => {
                const req = indexedDB.open("journey-door");
                req.onsuccess = () => {
                    const get = req.result.transaction("lists").objectStore("lists").getAll();
                    get.onsuccess = () => done(get.result.length);
                };
            })"""
        )
        assert left == 0
    finally:
        context.close()

    db.session.expire_all()
    checkin = db.session.execute(select(CheckIn)).scalar_one()
    assert checkin.registration_id == ada.id
    assert before <= checkin.checked_in_at <= after  # the phone's time, not the sync's
    assert checkin.checked_in_at.microsecond == 0
    assert checkin.device.startswith("scanner-")
    conflict = db.session.execute(select(CheckInConflict)).scalar_one()
    assert (conflict.result, conflict.offline_result) == (
        "already_checked_in",
        "already_checked_in",
    )

    # The organiser's live page shows the conflict; checked on a phone-sized screen too.
    boss = organiser()
    db.session.commit()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.get_by_label("Email").fill(boss.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/organiser/events/{event.id}/checkin")
        box = page.locator("#conflicts-box")
        assert "Ada Lovelace · Entrance — Already checked in" in box.inner_text()
        assert "by Yara Yard (scanner-" in box.inner_text()
        page.screenshot(
            path=os.path.join(artifacts_dir, "checkin-live-conflict.png"), full_page=True
        )
        assert not _problems(page), _problems(page)
    finally:
        context.close()
