"""In Chromium: an organiser builds an agenda on the grid, hits a room clash (by form and by
drag and drop) and the event's closing time, publishes; delegates see it on a desktop and on a
phone."""

import os

import pytest
from sqlalchemy import select

from app.events.models import AgendaSession
from app.extensions import db
from tests.factories import PASSWORD, make_event, make_speaker, make_user

pytestmark = pytest.mark.browser


def _add_on_grid(page, room: str, at: str, title: str, speaker: str | None = None, starts=None):
    page.get_by_label(f"Add a session in {room} at {at}").click()
    page.get_by_label("Title").fill(title)
    if starts:  # the slot under an existing session is covered: pick a free one, then retype
        page.get_by_label("Starts (UK time)").fill(starts)
    if speaker:
        page.get_by_label("Speaker 1").select_option(label=speaker)
    page.get_by_role("button", name="Add to the draft").click()


def _drag(page, title: str, room: str, at: str):
    box = page.locator(".builder-session", has_text=title).bounding_box()
    target = page.get_by_label(f"Add a session in {room} at {at}").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 4)
    page.mouse.down()
    steps = 12
    for n in range(1, steps + 1):
        page.mouse.move(
            box["x"] + 30 + (target["x"] - box["x"]) * n / steps,
            box["y"] + 4 + (target["y"] - box["y"]) * n / steps,
        )
    page.mouse.up()


def test_organiser_builds_and_publishes_the_agenda(page, artifacts_dir):
    organiser = make_user("organiser", email="olivia@example.com")
    event = make_event(slug="winter-forum", title="Winter Forum")
    make_speaker("Ann Example", organisation="Fenwright CAD Software")
    make_speaker("Chris Hale", organisation="Brackland Industrial Automation")
    db.session.commit()
    assert event.starts_at.hour == 8  # 08:00 UTC on a December day is 08:00 in London

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/auth/login")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/organiser/events/{event.id}/agenda")

    _add_on_grid(page, "Room 1", "10:00", "Lean basics", "Ann Example (Fenwright CAD Software)")
    page.get_by_text("“Lean basics” added to the draft agenda.").wait_for()
    _add_on_grid(page, "Room 2", "10:00", "Cobots in practice",
                 "Chris Hale (Brackland Industrial Automation)")  # fmt: skip
    page.get_by_text("“Cobots in practice” added").wait_for()

    # A clash typed into the form: refused, with the clash named, nothing saved.
    _add_on_grid(page, "Room 1", "13:00", "Clashing talk", starts="10:30")
    page.get_by_text("Not saved: Room 1 is already booked at that time: “Lean basics”").wait_for()
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-builder-clash.png"), full_page=True)
    page.get_by_role("link", name="Back to the grid").click()

    # A clash made by dragging: the session snaps back and the message names the clash.
    _drag(page, "Cobots in practice", "Room 1", "10:15")
    message = page.locator("#builder-message")
    message.get_by_text("Room 1 is already booked at that time: “Lean basics”").wait_for()
    assert message.is_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-builder-drag-clash.png"))
    # A drop in the shaded hours after the event closes (16:00): refused, the action named.
    _drag(page, "Cobots in practice", "Room 2", "17:00")
    message.get_by_text(
        "“Cobots in practice” was not moved: 17:00–17:45 is outside the event's hours"
    ).wait_for()

    # A good drag: moved to 11:00 in Room 1, then saved and shown after reload.
    _drag(page, "Cobots in practice", "Room 1", "11:00")
    page.locator(".builder-session", has_text="Cobots in practice").get_by_text(
        "11:00–11:45"
    ).wait_for()
    # Resize: drag the lower edge of "Lean basics" down by 15 minutes.
    lean = page.locator(".builder-session", has_text="Lean basics")
    lean.hover()
    handle = lean.locator(".builder-resize").bounding_box()
    slot = page.get_by_label("Add a session in Room 2 at 09:00").bounding_box()
    page.mouse.move(handle["x"] + 20, handle["y"] + 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 20, handle["y"] + 2 + slot["height"] / 2)
    page.mouse.move(handle["x"] + 20, handle["y"] + 2 + slot["height"])
    page.mouse.up()
    page.locator(".builder-session", has_text="Lean basics").get_by_text("10:00–11:00").wait_for()
    page.get_by_text("Publish 2 changes").wait_for()
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-builder.png"), full_page=True)

    page.get_by_role("button", name="Publish 2 changes").click()
    page.get_by_text("Agenda published: 2 session(s) updated.").wait_for()
    db.session.expire_all()
    titles = db.session.execute(
        select(AgendaSession.title).where(AgendaSession.published_at.is_not(None))
    ).scalars()
    assert sorted(titles) == ["Cobots in practice", "Lean basics"]

    page.goto("/events/winter-forum/agenda")
    first = page.locator("#s-" + str(_id("Lean basics")))
    first.get_by_text("10:00").first.wait_for()
    assert "Clashing talk" not in page.content()
    assert page.locator(".agenda-head", has_text="Room 1").is_visible()  # grid on desktop
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert not page.locator(".agenda-head", has_text="Room 1").is_visible()  # list on a phone
    cobots = page.locator("#s-" + str(_id("Cobots in practice")))
    assert "11:00–11:45 · Room 1" in cobots.inner_text()
    page.screenshot(path=os.path.join(artifacts_dir, "agenda-phone.png"), full_page=True)


def _id(title: str) -> int:
    return db.session.execute(
        select(AgendaSession.id).where(AgendaSession.title == title)
    ).scalar_one()
