"""Every organiser page at 390x844 (a phone on event day): nothing runs off the side of the
page; wide tables keep their first columns in view and scroll inside their own box."""

import re

import pytest
from flask import current_app
from sqlalchemy import select

from app.demo import seed_demo
from app.events.models import AgendaSession, Event, Speaker, Venue
from app.extensions import db
from app.questions.models import RegistrationQuestion
from app.registration.models import Registration

pytestmark = pytest.mark.browser

_PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
# Pages that are not screens of their own (downloads, print sheets, JSON).
NOT_SCREENS = (".csv", ".xlsx", ".json", ".ics", ".png", "/badges/print")


def _organiser_pages(values: dict[str, str]) -> list[str]:
    pages = []
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/organiser") or "GET" not in rule.methods:
            continue
        if rule.rule.endswith(NOT_SCREENS) or any(p in rule.rule for p in NOT_SCREENS):
            continue
        names = _PARAM.findall(rule.rule)
        if all(n in values for n in names):
            pages.append(_PARAM.sub(lambda m: values[m[1]], rule.rule))
    return sorted(set(pages))


def _demo_conference() -> Event:
    seed_demo()
    db.session.commit()
    return db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()


def _organiser_on_a_phone(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/auth/login")
    page.get_by_label("Email").fill("organiser@example.com")
    page.get_by_label("Password").fill("organiser")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_no_organiser_page_runs_off_a_phone_screen(page):
    conference = _demo_conference()
    workshop = db.session.execute(
        select(AgendaSession)
        .where(AgendaSession.event_id == conference.id, AgendaSession.capacity.is_not(None))
        .order_by(AgendaSession.id)
    ).scalars().first()  # fmt: skip
    values = {
        "event_id": str(conference.id),
        "session_id": str(workshop.id),
        "registration_id": str(db.session.execute(select(Registration.id)).scalars().first()),
        "speaker_id": str(db.session.execute(select(Speaker.id)).scalars().first()),
        "venue_id": str(db.session.execute(select(Venue.id)).scalars().first()),
        "ticket_type_id": str(conference.ticket_types[0].id),
        "question_id": str(db.session.execute(select(RegistrationQuestion.id)).scalars().first()),
    }
    pages = _organiser_pages(values)
    assert len(pages) > 20
    _organiser_on_a_phone(page)
    overflowing = {}
    for path in pages:
        response = page.goto(path)
        if response.status != 200:
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            overflowing[path] = width
    assert overflowing == {}

    # The columns organisers look at on event day are on screen, not scrolled away.
    for path, header in [
        ("/organiser/", "Conf."),
        ("/organiser/", "Pend."),
        ("/organiser/", "Wait"),
        ("/organiser/businesses", "Seen"),
        (f"/organiser/events/{conference.id}/registrations", "State"),
        (f"/organiser/events/{conference.id}/checkin", "Expected"),
        (f"/organiser/events/{conference.id}/attendance", "Admitted"),
    ]:
        page.goto(path)
        cell = page.locator("th", has_text=header).first
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, (path, header, box)


def _visible_cells_per_row(page, selector: str) -> list[int]:
    return page.eval_on_selector_all(
        selector, "rows => rows.map(r => [...r.cells].filter(c => c.offsetParent).length)"
    )


def test_event_day_pages_on_a_phone_keep_their_shape_and_cancel_asks_first(page):
    conference = _demo_conference()
    registration = db.session.execute(
        select(Registration)
        .where(Registration.event_id == conference.id, Registration.status == "confirmed")
        .order_by(Registration.id)
    ).scalars().first()  # fmt: skip
    _organiser_on_a_phone(page)

    # Cancel asks first (the page's own script; the policy blocks inline handlers), and a
    # "no" cancels nothing.
    page.goto(f"/organiser/registrations/{registration.id}")
    cancel = page.locator(
        f'form[action="/organiser/registrations/{registration.id}/cancel"] button'
    )
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    cancel.click()
    page.wait_for_timeout(200)
    assert asked == ["Cancel this registration? The seat goes to the waiting list."]
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "confirmed"
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        cancel.click()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "cancelled"

    # The emails page, now listing the cancellation, stays within the screen.
    page.goto(f"/organiser/events/{conference.id}/emails")
    assert page.locator("tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Live check-in redraws its table every 5 s: the rows keep the header's columns.
    page.clock.install()
    page.goto(f"/organiser/events/{conference.id}/checkin")
    headers = _visible_cells_per_row(page, "#live-points >> xpath=../thead/tr")
    assert headers == [3]  # "Starts" sits under the title on a phone
    assert set(_visible_cells_per_row(page, "#live-points tr")) == {3}
    with page.expect_response(lambda r: r.url.endswith("/checkin.json")):
        page.clock.run_for(5_100)
    page.wait_for_timeout(100)  # the answer drawn
    assert set(_visible_cells_per_row(page, "#live-points tr")) == {3}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
