"""Booking workshops on a phone: every answer, a clash included, appears on the session's
own card, on screen, without leaving the page."""

import os

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.demo import seed_demo
from app.events.models import AgendaSession, Event, SessionKind
from app.extensions import db
from app.registration.models import SessionBooking

pytestmark = pytest.mark.browser


def _on_screen(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_clash_and_a_booking_answer_on_the_card(page, artifacts_dir, outbox):
    seed_demo()
    db.session.commit()
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    workshops = db.session.execute(
        select(AgendaSession)
        .where(AgendaSession.event_id == conference.id, AgendaSession.kind == SessionKind.WORKSHOP)
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    ).scalars().all()  # fmt: skip
    first = min(w.starts_at for w in workshops)
    morning = [w for w in workshops if w.starts_at == first]
    delegate = db.session.execute(
        select(User).where(User.email == "delegate@example.com")
    ).scalar_one()
    mine = set(
        db.session.execute(
            select(SessionBooking.session_id).where(
                SessionBooking.user_id == delegate.id, SessionBooking.status == "booked"
            )
        ).scalars()
    )
    booked = next(w for w in morning if w.id in mine)
    clashing = next(w for w in morning if w.id not in mine)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/auth/login")
    page.get_by_label("Email").fill("delegate@example.com")
    page.get_by_label("Password").fill("delegate")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(f"/events/{conference.slug}/agenda")
    url = page.url

    card = page.locator(f"#s-{clashing.id}")
    card.get_by_role("button", name="Book a seat").click()
    feedback = page.locator(f"#s-{clashing.id} .agenda-feedback")
    feedback.wait_for()
    assert booked.title in feedback.inner_text()  # the clash names the other workshop
    assert "alert-danger" in feedback.get_attribute("class")
    assert _on_screen(page, feedback)
    assert page.url == url
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-clash-phone.png"))

    page.locator(f"#s-{booked.id}").get_by_role("button", name="Cancel booking").click()
    page.locator(f"#s-{booked.id} .agenda-feedback").get_by_text("given up").wait_for()
    page.locator(f"#s-{clashing.id}").get_by_role("button", name="Book a seat").click()
    done = page.locator(f"#s-{clashing.id} .agenda-feedback")
    done.get_by_text("is booked").wait_for()
    assert _on_screen(page, done)
    assert page.locator(f"#s-{clashing.id}").get_by_text("Booked", exact=True).is_visible()
    assert f"Booked: {clashing.title}" in [m["Subject"] for m in outbox]
    # Nothing was left to flash on the next page.
    page.reload()
    assert page.locator(".alert-dismissible").count() == 0
