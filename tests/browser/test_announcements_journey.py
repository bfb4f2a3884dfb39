"""In Chromium: an organiser writes to the delegates of an event: the page says who the chosen
group reaches as soon as it is chosen, Preview shows the email, a test copy goes to the
organiser alone, then it is scheduled and cancelled. The pages pass the axe checks."""

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.messages.models import Announcement
from app.registration.models import Registration
from app.timeutil import to_local, utcnow
from tests.browser.test_accessibility import _problems
from tests.factories import PASSWORD, make_event, make_user

pytestmark = pytest.mark.browser


def test_organiser_previews_tests_schedules_and_cancels(page, outbox, artifacts_dir):
    event = make_event(title="Winter Forum")
    for name, status in [("Ann Early", "confirmed"), ("Bob Field", "confirmed"),
                         ("Cat Queue", "waitlisted")]:  # fmt: skip
        user = make_user(name=name)
        db.session.add(Registration(event=event, user=user, ticket_type=event.ticket_types[0],
                                    status=status, active_user_id=user.id))  # fmt: skip
    boss = make_user("organiser", email="olivia@example.com", name="Olivia Organiser")
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/auth/login")
    page.get_by_label("Email").fill(boss.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/organiser/events/{event.id}/messages")

    summary = page.locator("#audience-summary")
    page.get_by_label("Send to", exact=True).select_option("everyone")
    summary.get_by_text("This goes to 3 people: 2 confirmed, 1 on the waiting list.").wait_for()
    page.get_by_label("Send to", exact=True).select_option("confirmed")
    summary.get_by_text("This goes to 2 people: 2 confirmed.").wait_for()
    page.get_by_label("Subject").fill("Parking")
    page.get_by_label("Message", exact=True).fill("Park in **car park B**.")

    page.get_by_role("button", name="Preview").click()
    page.get_by_text("Exactly as Ann Early, the first of the group, will receive it.").wait_for()
    email = page.frame_locator("iframe[title='The email as it will look']")
    email.get_by_text("Dear Ann Early,").wait_for()
    assert email.locator("strong", has_text="car park B").count() == 1
    assert _problems(page) == []
    page.locator("iframe").scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(artifacts_dir, "announcement-preview.png"))

    page.get_by_role("button", name="Send a test to myself").click()
    page.get_by_text(f"is on its way to you at {boss.email}. Nobody else gets it.").wait_for()
    assert [(m["To"], m["Subject"]) for m in outbox] == [(boss.email, "[Test] Parking")]

    when = to_local(utcnow() + timedelta(days=2), event.timezone).replace(second=0, microsecond=0)
    page.get_by_label("Send at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("I have checked the message and the recipients").check()
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text(f"Scheduled for {when:%A %-d %B %Y at %H:%M}").wait_for()
    assert _problems(page) == []

    page.once("dialog", lambda dialog: dialog.accept())  # "Cancel “Parking”? …"
    page.get_by_role("button", name="Cancel this announcement").click()
    page.get_by_text("“Parking” is cancelled; nobody was sent it.").wait_for()
    db.session.expire_all()
    assert db.session.execute(select(Announcement.status)).scalars().all() == ["cancelled"]
    assert len(outbox) == 1  # only the test copy ever went
