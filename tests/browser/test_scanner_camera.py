"""The scanner through a (fake) camera in real Chromium: the camera shows a ticket's QR code,
the door sees "admitted", then "already checked in"."""

import io
import os

import pytest
import qrcode
from PIL import Image
from sqlalchemy import func, select

from app.checkin.models import CheckIn
from app.extensions import db
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, make_event, make_organisation, make_user, organiser
from tests.factories_checkin import make_door_staff, make_registration

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def qr_frame(code: str, width: int = 640, height: int = 480) -> Image.Image:
    """The ticket QR, large with its quiet zone, centred on a white frame (greyscale)."""
    qr = qrcode.QRCode(border=4, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    png = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(png, format="PNG")
    img = Image.open(io.BytesIO(png.getvalue())).convert("L")
    side = min(width, height) - 40
    img = img.resize((side, side), Image.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(img, ((width - side) // 2, (height - side) // 2))
    return frame


def write_y4m(frame: Image.Image, path: str, frames: int = 30, fps: int = 15) -> None:
    """YUV 4:2:0 video of one still picture: luma from the greyscale picture, neutral chroma."""
    width, height = frame.size
    y = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + y + chroma + chroma)


def seen(page, result: str, artifacts_dir: str, shot: str) -> str:
    """Wait for the result screen `result` and return its text, read while it is showing
    (it closes by itself after a few seconds, however slow the machine)."""
    page.wait_for_function(
        """(want) => {
            const r = document.getElementById("result");
            if (r.classList.contains("d-none") || r.dataset.result !== want) return false;
            window.seenText = r.innerText;
            return true;
        }""",
        arg=result,
        polling=50,
    )
    page.screenshot(path=os.path.join(artifacts_dir, shot))
    return page.evaluate("window.seenText")


@pytest.mark.parametrize("decoder", ["auto", "jsqr"])
def test_door_staff_scan_a_ticket_through_the_camera(
    playwright_instance, live_server, artifacts_dir, tmp_path, decoder
):
    event = make_event(slug="camera-conf", title="Camera Conference")
    staff = make_door_staff(event, name="Dev Door", email=f"door-{decoder}@example.com")
    org = make_organisation("Anglia Castings Ltd")
    reg = make_registration(event, make_user(name="Ada Lovelace", organisation=org))
    db.session.commit()
    video = str(tmp_path / "ticket.y4m")
    write_y4m(qr_frame(reg.ticket_secret), video)

    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS
        + [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
            has_touch=True,
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(20_000)
        # camera=off: no start by itself where the browser reports the camera as allowed
        # (which depends on timing with the fake camera), so the tap below always happens.
        query = "camera=off" + ("%26decoder=jsqr" if decoder == "jsqr" else "")
        page.goto(f"/auth/login?next=/checkin/camera-conf?{query}")
        page.get_by_label("Email").fill(staff.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/checkin/camera-conf?camera=off*")
        page.get_by_role("button", name="Start camera").click()

        text = seen(page, "ok", artifacts_dir, f"scanner-admitted-{decoder}.png")
        assert "ADMITTED" in text.upper()
        assert "Ada Lovelace" in text
        assert "Anglia Castings Ltd" in text
        used = page.locator("#scanner").get_attribute("data-decoder")
        assert used == ("jsQR" if decoder == "jsqr" else used)
        assert used in ("jsQR", "BarcodeDetector")

        # The ticket stays in front of the camera: after the pause it is read again.
        text = seen(page, "already_checked_in", artifacts_dir, f"scanner-already-{decoder}.png")
        assert "Already checked in at " in text
        assert "at Entrance by Dev Door" in text
        # Red stays until the volunteer has dealt with it and taps.
        page.wait_for_timeout(3500)
        assert page.locator("#result").is_visible()
        assert "Tap the screen when you have dealt with it." in page.locator("#result").inner_text()
        page.locator("#result").click()
        page.wait_for_selector("#result.d-none", state="attached")
        page.screenshot(path=os.path.join(artifacts_dir, f"scanner-idle-{decoder}.png"))
        context.close()
    finally:
        browser.close()

    assert db.session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1


def test_name_search_admit_and_live_counts_update_without_reload(
    page, browser, live_server, artifacts_dir
):
    """Door staff admit someone by name search; the organiser's live page counts them without
    a reload."""
    event = make_event(slug="live-conf", title="Live Conference")
    staff = make_door_staff(event, name="Dev Door", email="door-live@example.com")
    boss = organiser()
    org = make_organisation("Breckland Precision")
    make_registration(event, make_user(name="Bob Barker", organisation=org))
    make_registration(event, make_user(name="Pat Pending"), status="pending_benchmark")
    db.session.commit()
    event_id = event.id

    boss_context = browser.new_context(base_url=live_server.url)  # the organiser's own browser
    boss_tab = boss_context.new_page()
    boss_tab.set_default_timeout(15_000)
    boss_tab.goto("/auth/login")
    boss_tab.get_by_label("Email").fill(boss.email)
    boss_tab.get_by_label("Password").fill(PASSWORD)
    boss_tab.get_by_role("button", name="Sign in").click()
    boss_tab.goto(f"/organiser/events/{event_id}/checkin")
    assert boss_tab.locator("#live-in").inner_text() == "0"

    page.set_viewport_size(PHONE)
    page.goto("/auth/login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/checkin/live-conf?camera=off")
    # No camera on: search comes first and the camera box is hidden.
    assert not page.locator("#camera-box").is_visible()
    search_top = page.get_by_label("Search by name or business").bounding_box()["y"]
    assert search_top < page.get_by_role("button", name="Start camera").bounding_box()["y"]
    page.get_by_label("Search by name or business").fill("breck")
    page.get_by_role("button", name="Bob Barker").click()
    # A card, not an admission: nobody is admitted by tapping a row.
    card = page.locator("#attendee-card")
    card.wait_for(state="visible")
    assert "Breckland Precision" in card.inner_text()
    page.screenshot(path=os.path.join(artifacts_dir, "scanner-attendee-card.png"))
    assert boss_tab.locator("#live-in").inner_text() == "0"
    page.get_by_role("button", name="Check in at Entrance").click()
    assert "Bob Barker" in seen(page, "ok", artifacts_dir, "scanner-search-admitted.png")
    page.keyboard.press("Escape")  # back to scanning without waiting

    page.get_by_label("Search by name or business").fill("pat")
    page.get_by_role("button", name="Pat Pending").click()
    page.get_by_role("button", name="Check in at Entrance").click()
    text = seen(page, "benchmark_pending", artifacts_dir, "scanner-needs-attention.png")
    assert "complete the benchmark" in text

    boss_tab.wait_for_function("() => document.getElementById('live-in').textContent === '1'")
    assert boss_tab.locator("#live-attention").inner_text() == "1"
    assert "Bob Barker" in boss_tab.locator("#live-recent").inner_text()
    boss_tab.screenshot(path=os.path.join(artifacts_dir, "checkin-live.png"), full_page=True)
    boss_context.close()
