"""Security headers: CSP with nonces, Permissions-Policy, HSTS in production, no-store."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.demo import seed_demo
from app.demo.programme import CONFERENCE_SLUG
from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[dict] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        self.handlers += [f"{tag} {name}" for name in attrs if name.startswith("on")]
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.inline.append(attrs)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in header.split("; ")}


@pytest.fixture
def demo(app):
    seed_demo()
    db.session.commit()
    delegate = db.session.execute(
        select(User).where(User.email == "delegate@example.com")
    ).scalar_one()
    organiser = db.session.execute(
        select(User).where(User.email == "organiser@example.com")
    ).scalar_one()
    event = db.session.execute(select(Event).where(Event.slug == CONFERENCE_SLUG)).scalar_one()
    registration = db.session.execute(
        select(Registration).where(Registration.user_id == delegate.id)
    ).scalars().first()  # fmt: skip
    return delegate, organiser, event, registration


def test_no_template_has_an_inline_event_handler():
    # The policy blocks them, so a confirm() there would silently never ask. An attribute may
    # follow a Jinja tag directly ({% if ask %}onsubmit=…), not only a space.
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r"(?<![\w.-])on[a-z]+\s*=\s*[\"'{]", path.read_text())
    ]
    assert offenders == []


def test_every_page_has_a_strict_script_policy_and_nonced_inline_scripts(client, login, demo):
    delegate, organiser, event, registration = demo
    pages = {
        None: ["/", f"/events/{event.slug}", f"/events/{event.slug}/agenda", "/auth/login",
               "/auth/signup", "/benchmark", "/speakers"],
        delegate: ["/me/tickets", "/me/calendar", "/me/settings", "/benchmark",
                   f"/payments/registrations/{registration.id}",
                   f"/events/{event.slug}/agenda"],
        organiser: ["/organiser/", f"/organiser/events/{event.id}/badges",
                    "/organiser/businesses", f"/events/{event.slug}/agenda/print"],
    }  # fmt: skip
    checked = 0
    for user, paths in pages.items():
        if user is not None:
            login(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            policy = _policy(response)
            nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", policy["script-src"]).group(1)
            assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in str(policy)
            assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'self'"
            parser = _Scripts()
            parser.feed(response.text)
            assert parser.handlers == [], path
            assert all(s.get("nonce") == nonce for s in parser.inline), path
            checked += 1
    assert checked == 17
    # A fresh nonce every time.
    assert _policy(client.get("/")) != _policy(client.get("/"))


def test_permissions_policy_allows_the_camera_on_the_scanner_only(client, login, demo):
    delegate, organiser, event, _ = demo
    assert "camera=()" in client.get("/").headers["Permissions-Policy"]
    login(organiser)
    scanner = client.get(f"/checkin/{event.slug}")
    assert scanner.status_code == 200
    assert "camera=(self)" in scanner.headers["Permissions-Policy"]
    assert "microphone=()" in scanner.headers["Permissions-Policy"]
    assert "camera=()" in client.get("/organiser/").headers["Permissions-Policy"]


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.config(HSTS_SECONDS=31536000)
def test_hsts_when_configured_as_in_production(client):
    assert client.get("/").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )


def test_production_config_turns_hsts_on():
    from config import ProductionConfig

    assert ProductionConfig.HSTS_SECONDS == 365 * 24 * 3600


def test_personal_pages_are_never_stored(client, login, demo):
    delegate, _, event, registration = demo
    public = client.get(f"/events/{event.slug}")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    login(delegate)
    for path in ("/me/tickets", "/me/settings", "/me", f"/events/{event.slug}",
                 f"/tickets/{registration.ticket_secret}/qr.png"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path
