"""Whole journeys in real Chromium: a newcomer signs up; an organiser publishes an event."""

import os

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.demo import seed_demo
from app.events.models import Event
from app.extensions import db
from tests.factories import make_user, make_venue, verification_path

pytestmark = pytest.mark.browser


def test_newcomer_signs_up_logs_in_and_opens_the_demo_conference(page, artifacts_dir, outbox):
    seed_demo()
    db.session.commit()
    page.goto("/")
    page.get_by_role("link", name="Create account").first.click()
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password", exact=True).fill("castings-2026")
    page.get_by_label("Repeat password").fill("castings-2026")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    # The link in the email confirms the address.
    page.goto(verification_path(outbox[-1]))
    page.get_by_role("button", name="Confirm my address").click()
    page.get_by_text("your email address is confirmed").wait_for()
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password").fill("castings-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Nia Newcomer").wait_for()
    assert "Confirm your email address" not in page.content()

    page.get_by_role("link", name=f"Productivity Journey {_conference_year()}").click()
    page.get_by_role("heading", name=f"Productivity Journey {_conference_year()}").wait_for()
    assert "Broadland University Conference Centre" in page.content()
    page.screenshot(path=os.path.join(artifacts_dir, "event-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=os.path.join(artifacts_dir, "event-phone.png"), full_page=True)
    user = db.session.execute(select(User).where(User.email == "nia@example.com")).scalar_one()
    assert user.email_verified


def _conference_year() -> int:
    return (
        db.session.execute(select(Event.starts_at).where(Event.slug == "productivity-journey"))
        .scalar_one()
        .year
    )


def test_organiser_creates_and_publishes_an_event_that_appears_on_home(page, artifacts_dir):
    organiser = make_user("organiser", email="olivia@example.com")
    venue = make_venue()
    db.session.commit()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Organiser").click()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Digital Adoption Clinic")
    page.get_by_label("Kind").select_option("workshop")
    page.get_by_label("One-line summary").fill("Bring your spreadsheets; leave with a plan.")
    page.get_by_label("Starts (UK time)").fill("2031-05-14T09:30")
    page.get_by_label("Ends (UK time)").fill("2031-05-14T12:30")
    page.get_by_label("Venue").select_option(label=venue.name)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Draft event “Digital Adoption Clinic” created").wait_for()
    page.screenshot(path=os.path.join(artifacts_dir, "organiser-event.png"), full_page=True)
    # The publish checklist wants tickets on sale first.
    page.get_by_role("link", name="Add ticket type").click()
    page.get_by_label("Name").fill("Delegate")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("is now published").wait_for()
    page.goto("/")
    card = page.get_by_role("link", name="Digital Adoption Clinic").first  # card and Coming up
    card.wait_for()
    assert "Wed 14 May 2031, 09:30–12:30" in page.content()
    page.screenshot(path=os.path.join(artifacts_dir, "home-desktop.png"), full_page=True)
