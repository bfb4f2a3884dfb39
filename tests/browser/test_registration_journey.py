"""A newcomer registers for the demo conference in real Chromium, is sent to the benchmark,
completes it, receives the ticket email and sees the ticket with its QR code."""

import io
import os

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.auth.models import User
from app.benchmark.questionnaire import current_questionnaire
from app.demo import seed_demo
from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration
from tests.factories import verification_path

pytestmark = pytest.mark.browser

Q = current_questionnaire()


def test_newcomer_registers_completes_the_benchmark_and_gets_a_ticket(page, artifacts_dir, outbox):
    seed_demo()
    db.session.commit()
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    seats_before = conference.seats_taken

    page.goto(f"/events/{conference.slug}")
    page.get_by_role("link", name="Register").last.click()
    page.get_by_role("heading", name=f"Register for {conference.title}").wait_for()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Full name").fill("Rhea Riveter")
    page.get_by_label("Email").fill("rhea@example.com")
    page.get_by_label("Password", exact=True).fill("riveting-2026")
    page.get_by_label("Repeat password").fill("riveting-2026")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    # The emailed link confirms the address; then sign in and back to the registration.
    page.goto(verification_path(outbox[-1]))
    page.get_by_role("button", name="Confirm my address").click()
    page.get_by_label("Email").fill("rhea@example.com")
    page.get_by_label("Password").fill("riveting-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Rhea Riveter").wait_for()
    outbox.clear()
    page.goto(f"/events/{conference.slug}/register")
    page.get_by_role("heading", name=f"Register for {conference.title}").wait_for()
    page.get_by_label("Business name").fill("Riveter Structures Ltd")
    page.get_by_role("radio", name="Delegate Full day").check()  # not the dinner ticket
    # The conference's questions: dietary requirements and the programme's terms.
    page.get_by_role("checkbox", name="Vegetarian").check()
    page.get_by_role("checkbox", name="I agree to the programme's terms").check()
    page.get_by_role("button", name="Register").click()

    # The seat is held and the delegate is sent to the benchmark.
    page.get_by_text("Your seat at").wait_for()
    page.get_by_role("heading", name="Productivity benchmark").wait_for()
    registration = db.session.execute(select(Registration)).scalars().all()[-1]
    assert registration.user.email == "rhea@example.com"
    assert registration.status == "pending_benchmark"
    assert registration.ticket_secret is None
    assert [m["Subject"] for m in outbox] == [
        f"One step left: complete the benchmark for {conference.title}"
    ]
    page.get_by_role("button", name="Start the benchmark").click()
    if page.get_by_role("heading", name="About your business").is_visible():
        page.get_by_label("Sector (SIC division)").select_option("25")
        page.get_by_label("Size (full-time equivalent employees)").select_option("small")
        page.get_by_role("button", name="Continue").click()
    for pillar in Q.pillars:
        page.get_by_role("heading", name=pillar.title, exact=True).wait_for()
        for question in pillar.questions:
            page.get_by_label(question.answers[2], exact=True).check()
        page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Business figures").wait_for()
    page.get_by_role("button", name="Review").click()
    page.get_by_role("heading", name="Review and submit").wait_for()
    page.get_by_role("button", name="Submit benchmark").click()
    page.get_by_role("heading", name="Benchmark results").wait_for()

    # Submitting confirmed the registration and sent the ticket.
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.status == "confirmed"
    secret = registration.ticket_secret
    ticket_mail = outbox[-1]
    assert ticket_mail["To"] == "rhea@example.com"
    assert ticket_mail["Subject"] == f"Your ticket for {conference.title}"
    parts = {p.get_content_type(): p for p in ticket_mail.walk()}
    assert "text/calendar" in parts and "image/png" in parts
    inline = Image.open(io.BytesIO(parts["image/png"].get_content()))
    assert [r.text for r in zxingcpp.read_barcodes(inline)] == [secret]
    assert secret in parts["text/plain"].get_content()
    assert db.session.get(Event, conference.id).seats_taken == seats_before + 1

    # The results page leads on to the ticket, with its QR code.
    page.get_by_text(f"Your place at {conference.title} is confirmed.").wait_for()
    page.get_by_role("link", name="See your ticket").click()
    page.get_by_role("heading", name="My tickets").wait_for()
    qr = page.locator(f"img[src='/tickets/{secret}/qr.png']")
    qr.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", qr.element_handle()) > 200
    assert page.get_by_text(secret).is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=os.path.join(artifacts_dir, "my-tickets-phone.png"), full_page=True)
    # The QR as the phone shows it decodes to the ticket secret.
    shot = Image.open(io.BytesIO(qr.screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == [secret]
    user = db.session.execute(select(User).where(User.email == "rhea@example.com")).scalar_one()
    assert user.organisation.name == "Riveter Structures Ltd"
