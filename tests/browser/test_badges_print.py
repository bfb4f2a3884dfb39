"""Name badges as Chromium prints them: each badge's QR code scans back to its ticket."""

import io
import os

import pytest
import zxingcpp
from PIL import Image

from app.extensions import db
from tests.factories import PASSWORD, make_event, organiser
from tests.http.test_badges import ticket_holder

pytestmark = pytest.mark.browser


def test_printed_badges_scan_back_to_their_tickets(page, artifacts_dir):
    event = make_event(title="Productivity Forum")
    holders = [ticket_holder(event, n) for n in ("Ann Archer", "Ben Baker", "Cat Carter")]
    boss = organiser()
    db.session.commit()
    secrets = [r.ticket_secret for r in holders]

    page.goto("/auth/login")
    page.get_by_label("Email").fill(boss.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/organiser/events/{event.id}/badges")
    badges = page.locator("section.badge")
    assert badges.count() == 3
    page.emulate_media(media="print")
    page.screenshot(path=os.path.join(artifacts_dir, "badges-print.png"), full_page=True)
    decoded = []
    for i in range(3):
        shot = Image.open(io.BytesIO(badges.nth(i).locator(".qr").screenshot()))
        decoded += [r.text for r in zxingcpp.read_barcodes(shot)]
    assert decoded == secrets  # surnames Archer, Baker, Carter: the order they were made
    assert not page.locator(".toolbar").is_visible()  # the toolbar does not print
