"""Bad input of any kind gets a clear 4xx, never a 500, and a refusal writes nothing
(DESIGN.md, "Security and bad input").

Every URL rule of the app is swept (except /static, and the Stripe webhook, which has tests of
its own) over the demo data, as a visitor, a delegate, door staff and an organiser: hostile
path values, hostile query strings and headers, junk bodies of every shape, every field of
every form on every page made hostile in turn, and every key of the JSON APIs. Exceptions
propagate (TESTING), so a crash is reported with its traceback; a refusal (4xx) must carry a
message and must not have committed a write; a redirect must stay on this site.

Also here: `next` parameters never lead off the site, emails ignore letter case, CSRF guards
every POST when it is on, refusals leave every table as it was, and every page still renders
with the most extreme values the forms accept.
"""

from __future__ import annotations

import functools
import json
import re
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.security import generate_password_hash
from werkzeug.test import encode_multipart

from app.auth.models import User
from app.auth.services import make_reset_token
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.checkin.models import CheckIn, EventStaff
from app.checkin.services import redeem_ticket
from app.demo import seed_demo
from app.demo.hosts import VISIT_SLUG as HOSTED_VISIT
from app.demo.programme import CONFERENCE_SLUG
from app.events.agenda_services import MAX_SPEAKERS
from app.events.models import AgendaSession, Event, Speaker
from app.extensions import db
from app.feeds.services import reset_calendar_token
from app.messages.scheduling import schedule_announcement
from app.outcomes.models import OutcomeClaim
from app.questions.models import RegistrationQuestion
from app.registration.models import Registration
from app.timeutil import utcnow
from tests.conftest import IsolatedClient
from tests.factories import login_id, make_user

SKIPPED_RULES = {"/static/<path:filename>", "/payments/stripe/webhook"}
ROLES = ("anonymous", "delegate", "door", "organiser")
_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

# Path segments an attacker or a broken link might send (quoted when put in the URL).
HOSTILE_SEGMENTS = [
    "no-such-thing",
    "0",
    "-1",
    "99999999999999999999",
    "2147483648",
    "9223372036854775808",
    "abc",
    "1.5",
    "x" * 3000,
    "ünïcødé-🎉-名前",
    "../../etc/passwd",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    " ",
]
# Already percent-encoded: invalid UTF-8, encoded dots, a raw parent directory.
RAW_SEGMENTS = ["%FF%FE", "%2e%2e", "..", "%C0%AF"]
# Where an id is expected: anything not made of digits is turned away by the route itself.
HOSTILE_IDS = ["0", "-1", "2147483648", "99999999999999999999", "9" * 3000, "abc", "\x00", "１２"]

# Values for query-string parameters and form fields, by the kind of value expected.
ANY_FIELD = ["", " ", "x" * 20000, "a\x00b", "ünïcødé 🎉 \u202e", "<script>alert(1)</script>",
             "' OR 1=1 --"]  # fmt: skip
NUMBERS = ["-1", "0", "99999999999999999999", "1e400", "NaN", "Infinity", "-0.001", "1.5"]
DATES = [
    "2026-02-30", "2026-02-30T10:00", "0001-01-01", "0001-01-01T00:00", "9999-12-31",
    "9999-12-31T23:59", "24:00", "23:59", "00:00", "-1", "99999999999999999999",
]  # fmt: skip
LINKS = ["javascript:alert(1)", "//evil.example", "/\\evil.example", "/\t/evil.example",
         "/\r\nSet-Cookie: a=b"]  # fmt: skip
HOSTILE_VALUES = list(dict.fromkeys(ANY_FIELD + NUMBERS + DATES + LINKS))
VALUES_FOR_INPUT = {
    "number": ANY_FIELD + NUMBERS,
    "select": ANY_FIELD + NUMBERS,
    "radio": ANY_FIELD + NUMBERS,
    "date": ANY_FIELD + DATES,
    "time": ANY_FIELD + DATES,
    "datetime-local": ANY_FIELD + DATES,
    "email": [*ANY_FIELD, "A@B", "@example.com", "x" * 300 + "@example.com", "a@b@c.com"],
    "text": ANY_FIELD + NUMBERS[:4] + DATES[:2] + LINKS,
}
QUERY_VALUES = [v[:2000] for v in ANY_FIELD[2:] + NUMBERS[:3] + DATES[:2] + LINKS[:3]]

JUNK_HEADERS = [
    {"If-None-Match": 'junk, W/"x", *', "If-Modified-Since": "Mon, 30 Feb 2026 25:61:00 GMT",
     "Accept": "application/json;q=abc, */*;q=-1", "Accept-Language": "@@;q=x"},
    {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 GMT", "If-None-Match": "*",
     "Range": "bytes=abc-", "User-Agent": "ünï🎉" * 500, "Cookie": "session=garbage"},
    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT", "Accept": "application/json",
     "Content-Type": "application/json", "X-CSRFToken": "x" * 5000},
]  # fmt: skip
QUERY_KEYS = [
    "day", "track", "pillar", "q", "next", "session_id", "decoder", "mine", "status",
    "ticket_type", "ticket", "benchmark", "start", "room_id", "v", "page", "token", "sort",
]  # fmt: skip

# JSON values of every type, for the JSON APIs.
HOSTILE_JSON = [
    None, True, False, 0, -1, 2**31, 10**30, 1.5, -0.0, "", " ", "x" * 10000, "2026-02-30",
    "25:61", "24:00", "00:00", "23:59", [], {}, [1, 2], {"a": 1}, "a\x00b", "ünï🎉",
]  # fmt: skip


def _field_names() -> list[str]:
    """Every form field and JSON key the app reads, so junk bodies reach the validators."""
    names = [
        "title", "slug", "kind", "summary", "description", "venue_id", "starts_at", "ends_at",
        "capacity", "registration_opens_at", "registration_closes_at", "requires_benchmark",
        "host_organisation_id", "pillars", "name", "address", "postcode", "room-name",
        "room-capacity", "price", "sales_start", "sales_end", "hidden", "day", "starts", "ends",
        "start", "end", "room_id", "track", "abstract", "job_title", "organisation", "bio",
        "links", "remove_photo", "user_email", "email", "password", "confirm", "remember",
        "companies_house_number", "sector", "size_band", "ticket_type", "join_waitlist",
        "next", "action", "response", "code", "session_id", "registration_id", "nonce",
        "device", "checkin_id",
    ]  # fmt: skip
    names += [f"speakers-{n}" for n in range(MAX_SPEAKERS)]
    questionnaire = current_questionnaire()
    names += list(questionnaire.question_keys)
    names += [m.key for m in questionnaire.metrics]
    return names


# Read before any role check (CSRF, the NUL check, form parsing): sent even to those refused.
BODIES_BEFORE_THE_ROLE_CHECK = {
    "form NUL", "form lists", "json list", "json NaN", "json too deep", "bad utf-8 form",
    "multipart no boundary",
}  # fmt: skip


def _junk_bodies(names: list[str]) -> Iterator[tuple[str, dict]]:
    """(label, keyword arguments for client.open) for every shape of bad body."""
    form = "application/x-www-form-urlencoded"
    yield "empty", {}
    for label, value in [
        ("junk", "junk <b>'\""),
        ("negative", "-1"),
        ("huge", "9" * 30),
        ("long", "x" * 20000),
        ("bad date", "2026-02-30"),
        ("bad datetime", "2026-02-30T25:61"),
        ("NaN", "NaN"),
        ("NUL", "a\x00b"),
        ("unicode", "ünïcødé 🎉 \u202e"),
    ]:
        yield f"form {label}", {"data": {n: value for n in names}}
    yield "form lists", {"data": MultiDict([(n, v) for n in names for v in ("1", "2")])}
    yield "json junk", {"json": {n: {"nested": [1]} for n in names}}
    yield "json huge", {"json": {n: 10**30 for n in names}}
    yield "json negative", {"json": {n: -1 for n in names}}
    yield "json dates", {"json": {n: "2026-02-30" for n in names}}
    yield "json list", {"json": [1, 2, 3]}
    yield "json string", {"json": "just a string"}
    yield "json null", {"data": "null", "content_type": "application/json"}
    yield (
        "json NaN",
        {"data": '{"code": NaN, "nonce": Infinity}', "content_type": "application/json"},
    )
    yield "broken json", {"data": "{not json", "content_type": "application/json"}
    yield "json too deep", {"data": "[" * 100000, "content_type": "application/json"}
    yield "json deep", {"data": '{"a":' * 900 + "1" + "}" * 900, "content_type": "application/json"}
    yield "text/plain", {"data": "code=abc&title=x", "content_type": "text/plain"}
    yield "multipart no boundary", {"data": b"--x\r\n", "content_type": "multipart/form-data"}
    yield "bad utf-8 form", {"data": b"title=%FF%FE&next=%C0%AF&email=\xff", "content_type": form}
    yield "binary", {"data": b"\xff\xfe\x00garbage", "content_type": "application/octet-stream"}


# ---------------------------------------------------------------------------- the harness


class WriteWatch:
    """Notices a committed INSERT/UPDATE/DELETE while it is armed."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.pending = False
        self.committed: list[str] = []
        self.statements: list[str] = []

    def __enter__(self):
        sa_event.listen(self.engine, "before_cursor_execute", self._execute)
        sa_event.listen(self.engine, "commit", self._commit)
        sa_event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._execute)
        sa_event.remove(self.engine, "commit", self._commit)
        sa_event.remove(self.engine, "rollback", self._rollback)

    def reset(self) -> None:
        self.pending, self.committed, self.statements = False, [], []

    def _execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", statement, re.I):
            self.pending = True
            self.statements.append(statement.split("\n")[0][:120])

    def _commit(self, conn) -> None:
        if self.pending:
            self.committed.extend(self.statements)
        self.pending, self.statements = False, []

    def _rollback(self, conn) -> None:
        self.pending, self.statements = False, []


@dataclass
class Sweep:
    """Sends requests and notes, once per kind, every crash (with its traceback), 5xx,
    redirect off the site, refusal without a message, and refusal that committed a write."""

    watch: WriteWatch
    failures: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def hit(self, client, who: str, method: str, url: str, label: str = "", **kw):
        self.requests += 1
        self.watch.reset()
        where = f"{who} {method} {url[:150]} [{label}]"
        try:
            response = client.open(url, method=method, **kw)
            wrote = list(self.watch.committed)  # before signing in again, which writes
            if url.startswith("/auth/"):
                client.sign_in_again()  # as who they were: signed out, or not signed up
        except Exception as exc:  # noqa: BLE001 - every crash is reported, with its traceback
            frames = traceback.extract_tb(exc.__traceback__)
            app_frames = [f for f in frames if "/app/" in f.filename] or frames
            key = f"{type(exc).__name__} at {app_frames[-1].filename}:{app_frames[-1].lineno}"
            self.failures.setdefault(key, f"{where}\n{traceback.format_exc()}")
            return None
        status = response.status_code
        if status >= 500:
            self.failures.setdefault(f"{status} {method} {url[:80]}", where)
        elif status in (301, 302, 303, 307, 308) and not _same_site(response.location or ""):
            location = response.location or ""
            self.failures.setdefault(f"off-site redirect to {location[:60]}", where)
        elif 400 <= status < 500:
            if not response.data:
                self.failures.setdefault(f"empty {status} {url[:80]}", where)
            if wrote:
                key = f"refusal {status} wrote {wrote[0]}"
                self.failures.setdefault(key, where)
        return response

    def check(self) -> None:
        if self.failures:
            report = "\n\n".join(f"== {key}\n{detail}" for key, detail in self.failures.items())
            pytest.fail(
                f"{len(self.failures)} distinct failures in {self.requests} requests:\n{report}",
                pytrace=False,
            )


def _same_site(location: str) -> bool:
    """Where a browser would go stays on this site (browsers drop tabs and newlines from a
    URL and read a backslash as a slash)."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and parts.netloc == "localhost"
    return seen.startswith("/") and not seen.startswith("//")


@dataclass
class Demo:
    users: dict[str, User | None]
    values: dict[str, str]  # real path parameter values by name
    speaker_slug: str
    conference_id: int
    conference_day: str
    room_id: int


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


@pytest.fixture
def demo(app, monkeypatch) -> Demo:
    # Thousands of requests sign people in and up: a cheap hash keeps the sweep quick (the
    # real scheme is tested with the accounts).
    monkeypatch.setattr(
        "app.auth.models.generate_password_hash",
        lambda password, method=None: generate_password_hash(password, "pbkdf2:sha256:1"),
    )
    seed_demo()
    db.session.commit()
    conference = db.session.execute(select(Event).where(Event.slug == CONFERENCE_SLUG)).scalar_one()
    delegate = _user("delegate@example.com")
    workshop = (
        db.session.execute(
            select(AgendaSession)
            .where(
                AgendaSession.event_id == conference.id,
                AgendaSession.capacity.is_not(None),
                AgendaSession.published_at.is_not(None),
            )
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        )
        .scalars()
        .first()
    )
    registration = db.session.execute(
        select(Registration).where(
            Registration.user_id == delegate.id, Registration.event_id == conference.id
        )
    ).scalar_one()
    speaker = (
        db.session.execute(select(Speaker).where(Speaker.user_id.is_not(None))).scalars().first()
    )
    benchmark = (
        db.session.execute(
            select(BenchmarkResponse).where(
                BenchmarkResponse.organisation_id == delegate.organisation_id
            )
        )
        .scalars()
        .first()
    )
    door = _user("door@example.com")
    token = reset_calendar_token(delegate)
    # A webhook endpoint (whose log gets the admission below) and an API token.
    from app.api.tokens import create_api_token
    from app.webhooks.models import WebhookDelivery
    from app.webhooks.services import add_webhook_endpoint

    endpoint = add_webhook_endpoint(None, "http://127.0.0.1:9/hook", "s" * 20, ["checkin.created"])
    organiser = _user("organiser@example.com")
    api_token, _ = create_api_token(organiser, organiser, name="sweep", scopes=["read"])
    # An announcement waiting to go: its page, and its Cancel form, are swept too.
    tomorrow = utcnow() + timedelta(days=1)
    announcement = schedule_announcement(
        organiser, conference, "confirmed", "Sweep", "Hello.", uuid.uuid4().hex, tomorrow
    )
    db.session.commit()

    redeem_ticket(conference, door, code=registration.ticket_secret, registration_id=None,
                  session_id=None, nonce=str(uuid.uuid4()), device="sweep")  # fmt: skip
    db.session.commit()
    checkin = db.session.execute(select(CheckIn)).scalars().first()
    values = {
        "slug": conference.slug,
        "session_id": str(workshop.id),
        "event_id": str(conference.id),
        "registration_id": str(registration.id),
        "ticket_type_id": str(conference.ticket_types[0].id),
        "checkin_id": str(checkin.id),
        "user_id": str(door.id),
        "speaker_id": str(speaker.id),
        "venue_id": str(conference.venue_id),
        "request_id": "1",
        "public_id": benchmark.public_id,
        "token": token,
        "secret": registration.ticket_secret,
        "pillar_key": current_questionnaire().pillar_keys[0],
        "status": "published",
        "organisation_id": str(delegate.organisation_id),
        "claim_id": str(db.session.execute(select(OutcomeClaim.id)).scalars().first()),
        "question_id": str(
            db.session.execute(
                select(RegistrationQuestion.id).where(
                    RegistrationQuestion.kind == "consent",
                    RegistrationQuestion.event_id == conference.id,
                )
            ).scalar_one()
        ),
        "preset": "access",
        "endpoint_id": str(endpoint.id),
        "delivery_id": str(db.session.execute(select(WebhookDelivery.id)).scalars().first()),
        "token_id": str(api_token.id),
        "version": "1",
        "announcement_id": str(announcement.id),
    }
    return Demo(
        users={
            "anonymous": None,
            "delegate": delegate,
            "door": door,
            "organiser": _user("organiser@example.com"),
            "speaker": _user(speaker.user.email),
            "newcomer": _user("sophie.lane@example.com"),
            "host": _user("host@example.com"),
        },
        values=values,
        speaker_slug=speaker.slug,
        conference_id=conference.id,
        conference_day=conference.starts_at.date().isoformat(),
        room_id=conference.venue.rooms[0].id,
    )


class RoleClient(IsolatedClient):
    """A test client signed in as one user, who stays signed in (even after /auth/logout)."""

    user: User | None = None

    def sign_in_again(self) -> None:
        # A fresh server-side sign-in each time: the sweep's own POST to /auth/logout ends one.
        ident = login_id(self.user) if self.user is not None else None
        with self.session_transaction() as session:
            session.pop("_user_id", None)
            if ident is not None:
                session["_user_id"] = ident
                session["_fresh"] = True


def _client(app, user: User | None) -> RoleClient:
    app.test_client_class = RoleClient
    client = app.test_client()
    client.user = user
    client.sign_in_again()
    return client


_DESTRUCTIVE = re.compile(r"/(logout|cancel|delete|remove|status|refund|revoke|reset|undo)\b")


def _rules(app) -> list:
    """Every rule swept, reading ones first and the ones that cancel or sign out last, so
    that the real demo rows are still there for most of the sweep."""
    rules = [r for r in app.url_map.iter_rules() if r.rule not in SKIPPED_RULES]
    return sorted(
        rules, key=lambda r: ("POST" in r.methods, bool(_DESTRUCTIVE.search(r.rule)), r.rule)
    )


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _params(rule) -> list[str]:
    return [m["name"] for m in _PARAM.finditer(rule.rule)]


def _url(rule, values: dict[str, str], raw: frozenset[str] = frozenset()) -> str:
    def fill(match):
        name = match["name"]
        value = values[name]
        return value if name in raw else quote(value, safe="")

    return _PARAM.sub(fill, rule.rule)


def _real_values(rule, demo: Demo) -> dict[str, str]:
    values = dict(demo.values)
    if rule.rule.startswith("/speakers/"):
        values["slug"] = demo.speaker_slug
    if rule.rule.startswith("/host/") or "/visit-terms/" in rule.rule:
        values["slug"] = HOSTED_VISIT
    if rule.rule.startswith("/auth/reset/"):
        values["token"] = make_reset_token(demo.users["delegate"])
    return values


@pytest.fixture
def sweep(app) -> Iterator[Sweep]:
    with WriteWatch(db.engine) as watch:
        yield Sweep(watch)


def _clients(app, demo: Demo, roles=ROLES) -> dict[str, IsolatedClient]:
    return {role: _client(app, demo.users[role]) for role in roles}


def test_the_sweep_notices_crashes_writes_redirects_and_empty_refusals(app, sweep):
    from flask import redirect

    from app.auth.models import Organisation

    def crash():
        raise RuntimeError("boom")

    def refuse_after_writing():
        db.session.add(Organisation(name="Written by a refusal"))
        db.session.commit()
        return "No.", 400

    app.add_url_rule("/sweep/crash", view_func=crash)
    app.add_url_rule("/sweep/write", view_func=refuse_after_writing)
    app.add_url_rule("/sweep/away", "away", lambda: redirect("https://evil.example/"))
    app.add_url_rule("/sweep/empty", "empty", lambda: ("", 404))
    client = _client(app, None)
    for url in ("/sweep/crash", "/sweep/write", "/sweep/away", "/sweep/empty", "/healthz"):
        sweep.hit(client, "anonymous", "GET", url)
    assert [key.split(" ")[0] for key in sweep.failures] == [
        "RuntimeError", "refusal", "off-site", "empty"
    ]  # fmt: skip


# ------------------------------------------------------------------------------- the sweeps


def _turned_away(response) -> bool:
    """The role check answered: the request went no further, whatever else it carried."""
    if response is None:
        return False
    login = response.status_code == 302 and "/auth/login" in (response.location or "")
    return login or response.status_code in (401, 403)


def test_hostile_path_values_never_500(app, demo, sweep):
    clients = _clients(app, demo)
    post_body = {"data": {"next": "/", "title": "x", "email": "x@example.com"}}
    for rule in _rules(app):
        params = _params(rule)
        if not params:
            continue
        real = _real_values(rule, demo)
        method = _methods(rule)[0]
        probes = {
            role: sweep.hit(client, role, method, _url(rule, real), "probe",
                            **(post_body if method == "POST" else {}))
            for role, client in clients.items()
        }  # fmt: skip
        # Every hostile value for whoever gets past the role check; two for the others.
        refused = {role for role, answer in probes.items() if _turned_away(answer)}
        # Each parameter hostile in turn (the others real, to get deep), then all at once.
        targets = [[p] for p in params] + ([params] if len(params) > 1 else [])
        ints = {m["name"] for m in _PARAM.finditer(rule.rule) if m["conv"] == "int"}
        for hostile in targets:
            segments = HOSTILE_SEGMENTS + RAW_SEGMENTS
            if set(hostile) <= ints:
                segments = HOSTILE_IDS
            for n, value in enumerate(segments):
                values = {**real, **{p: value for p in hostile}}
                raw = frozenset(hostile) if value in RAW_SEGMENTS else frozenset()
                url = _url(rule, values, raw)
                for role, client in clients.items():
                    if role in refused and n > 1:
                        continue
                    for method in _methods(rule):
                        kw = post_body if method == "POST" else {}
                        sweep.hit(client, role, method, url, "path", **kw)
    sweep.check()


def test_hostile_query_strings_never_500(app, demo, sweep):
    clients = _clients(app, demo)
    get_rules = [r for r in _rules(app) if "GET" in r.methods]
    values = QUERY_VALUES
    for rule in get_rules:
        url = _url(rule, _real_values(rule, demo))
        # Every value for whoever the page opens to; the others are turned away first.
        probes = {
            role: sweep.hit(client, role, "GET", url, "probe") for role, client in clients.items()
        }
        refused = {role for role, answer in probes.items() if _turned_away(answer)}
        for n, value in enumerate(values):
            query = "&".join(f"{k}={quote(value, safe='')}" for k in QUERY_KEYS)
            for role, client in clients.items():
                if role in refused and n > 1:
                    continue
                sweep.hit(client, role, "GET", f"{url}?{query}", f"query {value[:20]!r}")
        # Repeated keys, a query string that is not UTF-8, and headers that make no sense.
        for role, client in clients.items():
            for headers in JUNK_HEADERS:
                sweep.hit(client, role, "GET", url, "headers", headers=headers)
            sweep.hit(client, role, "GET", f"{url}?day=1&day=2&q=a&q=b&next=/&next=//x", "dup")
            sweep.hit(client, role, "GET", f"{url}?q=%FF%FE&next=%C0%AF&day=%00", "bad utf-8")
    sweep.check()


@pytest.mark.parametrize("role", ROLES)
def test_junk_bodies_never_500(app, demo, sweep, role):
    client = _client(app, demo.users[role])
    bodies = list(_junk_bodies(_field_names()))
    for rule in _rules(app):
        url = _url(rule, _real_values(rule, demo))
        for method in _methods(rule):
            if method == "GET":
                sweep.hit(client, role, method, url, "get")
                continue
            turned_away = False
            for label, kw in bodies:
                if turned_away and label not in BODIES_BEFORE_THE_ROLE_CHECK:
                    continue
                answer = sweep.hit(client, role, method, url, label, **kw)
                turned_away = turned_away or (label == "empty" and _turned_away(answer))
    sweep.check()


# ------------------------------------------------------------------- every field of every form


class FormHarvester(HTMLParser):
    """The POST forms of a page, each as (action, [(name, value), ...]) with the values a
    browser would send: text inputs, checked boxes, selected options, textareas, the first
    named submit button, and files (as empty uploads)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]], set[str]]] = []
        self.kinds: dict[str, str] = {}  # field name → input type (number, date, …)
        self._form = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""
        self._button_taken = False

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = (a.get("action", ""), [], set())
                self._button_taken = False
            return
        if self._form is None:
            return
        fields, files = self._form[1], self._form[2]
        name = a.get("name")
        if name:
            kind = a.get("type", "text").lower() if tag == "input" else tag
            self.kinds.setdefault(name, kind)
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                files.add(name)
            elif kind == "checkbox":
                if "checked" in a:
                    fields.append((name, a.get("value", "on")))
            elif kind == "radio":
                # A complete form to start from: the checked answer, else the first.
                if "checked" in a:
                    fields[:] = [(n, v) for n, v in fields if n != name]
                    fields.append((name, a.get("value", "on")))
                elif all(n != name for n, _ in fields):
                    fields.append((name, a.get("value", "on")))
            elif kind == "submit":
                if not self._button_taken:
                    fields.append((name, a.get("value", "")))
                    self._button_taken = True
            else:
                fields.append((name, a.get("value", "")))
        elif tag == "button" and name and not self._button_taken:
            fields.append((name, a.get("value", "")))
            self._button_taken = True
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag) -> None:
        if self._form is None:
            return
        if tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._form[1].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form[1].append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


INPUT_KINDS: dict[str, str] = {}  # every field seen, by name: what kind of value it takes


def _forms_on(html: str) -> list[tuple[str, list[tuple[str, str]], set[str]]]:
    harvester = FormHarvester()
    harvester.feed(html)
    for name, kind in harvester.kinds.items():
        INPUT_KINDS.setdefault(name, kind)
    return harvester.forms


def _image(fmt: str, mode: str = "RGB", size=(8, 8), **save) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new(mode, size).save(out, fmt, **save)
    return out.getvalue()


@functools.cache
def _uploads() -> list[tuple[str, bytes, str]]:
    """(label, bytes, filename) for file fields: junk, damaged and odd images."""
    png = _image("PNG")
    return [
        ("garbage", b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg"),
        ("empty", b"", "photo.png"),
        ("truncated png", png[: len(png) // 2], "photo.png"),
        ("text as png", b"hello", "photo.png"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "p.svg"),
        ("16-bit png", _image("PNG", "I;16"), "photo.png"),
        ("cmyk jpeg", _image("JPEG", "CMYK"), "photo.jpg"),
        ("bilevel gif", _image("GIF", "1"), "photo.gif"),
        ("palette png", _image("PNG", "P", transparency=0), "photo.png"),
        ("huge dimensions", _image("PNG", "1", size=(20000, 20000)), "photo.png"),
        ("bad exif", _image("JPEG", exif=b"Exif\x00\x00" + b"\xff" * 64), "photo.jpg"),
        ("too big", b"\x89PNG" + b"\x00" * (3 * 1024 * 1024), "photo.png"),
    ]


def _harvest(sweep: Sweep, client, who: str, urls: list[str]) -> dict[str, tuple]:
    """The first form per action URL found on these pages."""
    found: dict[str, tuple] = {}
    for url in urls:
        response = sweep.hit(client, who, "GET", url, "harvest")
        if response is None or response.status_code != 200 or response.mimetype != "text/html":
            continue
        for action, fields, files in _forms_on(response.get_data(as_text=True)):
            found.setdefault(action or url, (fields, files))
    return found


# Values that make a blank form valid, so that each hostile field gets past the others.
FILL = {
    "title": "Sweep session",
    "name": "Sweep Name",
    "room-name": "Sweep Room",
    "email": "new.person@example.com",
    "password": "correct horse battery",
    "confirm": "correct horse battery",
    "starts_at": "2031-05-01T09:00",
    "ends_at": "2031-05-01T17:00",
    "organisation": "Sweep Engineering Ltd",
    "sector": "25",
    "size_band": "small",
}
OVERRIDES = {
    "auth.login": {"email": "delegate@example.com", "password": "delegate"},
    "auth.request_reset": {"email": "delegate@example.com"},
    "organiser.door_staff": {"email": "door@example.com"},
    "organiser.payment_refund": {"confirm": "y"},
    "organiser.new_session": {"room_id": "0"},  # no room: each valid variant can be saved
    "organiser.messages": {"audience": "confirmed"},  # a real group: each field gets previewed
}
# Forms whose changes hide the demo rows from later requests (a new slug, a cancelled event).
LAST = {
    "organiser.edit_event", "organiser.change_event_status", "organiser.remove_speaker",
    "organiser.cancel_registration", "organiser.cancel_agenda_session", "registration.cancel",
}  # fmt: skip
# Forms each role must find, so that the sweep cannot quietly stop reaching them.
EXPECTED_FORMS = {
    "anonymous": {"auth.login", "auth.signup", "auth.request_reset", "auth.reset_password"},
    "delegate": {"registration.register", "registration.book_session", "registration.cancel",
                 "registration.cancel_booking", "agenda.star", "feeds.reset_calendar_token"},
    "newcomer": {"benchmark.step", "benchmark.metrics", "benchmark.submit"},
    "speaker": {"speakers.own_profile", "benchmark.organisation"},
    "host": {"hosts.approve", "hosts.decline", "hosts.settings"},
    "organiser": {
        "organiser.new_event", "organiser.edit_event", "organiser.new_session",
        "organiser.edit_session", "organiser.new_ticket_type", "organiser.edit_ticket_type",
        "organiser.new_speaker", "organiser.edit_speaker", "organiser.new_venue",
        "organiser.edit_venue", "organiser.add_venue_room", "organiser.door_staff",
        "organiser.payment_refund", "organiser.resend_ticket", "organiser.change_event_status",
        "organiser.messages", "organiser.cancel_scheduled_announcement",
    },
}  # fmt: skip


def _completed(endpoint: str, fields) -> list[tuple[str, str]]:
    overrides = OVERRIDES.get(endpoint, {})
    completed = [(n, overrides.get(n) or v or FILL.get(n, "")) for n, v in fields]
    present = {n for n, _ in fields}
    return completed + [(n, v) for n, v in overrides.items() if n not in present]


def _perturb(sweep: Sweep, client, who: str, action: str, fields, files) -> None:
    # The CSRF token is off in tests; a list of like fields (speakers-0, -1, …) is one field.
    names = [
        n for n in dict.fromkeys(name for name, _ in fields)
        if n != "csrf_token" and not re.search(r"-[1-9]\d*$", n)
    ]  # fmt: skip
    uploads = _uploads() if files else []
    sweep.hit(client, who, "POST", action, "as completed", data=MultiDict(fields))
    for name in names:
        base = [(n, v) for n, v in fields if n != name]
        sweep.hit(client, who, "POST", action, f"{name} missing", data=MultiDict(base))
        for value in VALUES_FOR_INPUT.get(INPUT_KINDS.get(name, "text"), HOSTILE_VALUES):
            data = MultiDict([*base, (name, value)])
            sweep.hit(client, who, "POST", action, f"{name}={value[:20]!r}", data=data)
    for name in files:
        for label, raw, filename in uploads:
            # Encoded here: the test client would spool a large body to a file it never closes.
            data = MultiDict(fields)
            data.add(name, FileStorage(BytesIO(raw), filename=filename))
            boundary, body = encode_multipart(data)
            content_type = f"multipart/form-data; boundary={boundary}"
            sweep.hit(client, who, "POST", action, f"{name}: {label}", data=body,
                      content_type=content_type)  # fmt: skip


def _endpoint(app, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="POST")
    except Exception:  # noqa: BLE001 - not a POST rule of ours
        return None
    return endpoint


def _pages_for(app, demo: Demo, role: str) -> list[str]:
    """Every page of the app, and a few more that show forms the plain sweep would miss."""
    # A new session at a free time (found before the plain form, which starts at a busy 09:00).
    pages = [f"/organiser/events/{demo.conference_id}/agenda/sessions/new?start=07:00"]
    pages += [_url(rule, _real_values(rule, demo)) for rule in _rules(app) if "GET" in rule.methods]
    for event_id, slug in db.session.execute(select(Event.id, Event.slug)):
        pages += [f"/events/{slug}/register", f"/organiser/events/{event_id}"]
    paid = db.session.execute(
        select(Registration.id).where(Registration.amount_paid_pence > 0)
    ).scalars()
    pages += [f"/organiser/registrations/{n}/refund" for n in paid]
    if role == "newcomer":
        questionnaire = current_questionnaire()
        pages += [f"/benchmark/step/{key}" for key in questionnaire.pillar_keys]
        pages += ["/benchmark/metrics", "/benchmark/review"]
    return pages


@pytest.mark.parametrize("role", list(EXPECTED_FORMS))
def test_every_form_field_perturbed_never_500(app, demo, sweep, role):
    client = _client(app, demo.users[role])
    if role == "newcomer":
        sweep.hit(client, role, "POST", "/benchmark/start", "start a draft")
    forms: dict[str, tuple] = {}
    for action, form in _harvest(sweep, client, role, _pages_for(app, demo, role)).items():
        endpoint = _endpoint(app, urlsplit(action).path)
        if endpoint and endpoint not in ("auth.logout", "payments.stripe_webhook"):
            forms.setdefault(endpoint, (action, *form))
    assert EXPECTED_FORMS[role] <= set(forms), EXPECTED_FORMS[role] - set(forms)
    for endpoint, (action, fields, files) in sorted(forms.items(), key=lambda f: f[0] in LAST):
        _perturb(sweep, client, role, action, _completed(endpoint, fields), files)
    sweep.check()


# ------------------------------------------------------------------------------ the JSON APIs


def _json_apis(demo: Demo) -> list[tuple[str, str, dict]]:
    """(role, url, a valid body) for each JSON API; each key is then made hostile in turn."""
    v = demo.values
    scan = {"code": v["secret"], "session_id": None, "registration_id": None,
            "nonce": "", "device": "sweep"}  # fmt: skip
    session_url = f"/organiser/events/{v['event_id']}/agenda/sessions/{v['session_id']}"
    return [
        (role, url, body)
        for role in ("door", "organiser")
        for url, body in [
            (f"/api/checkin/{v['slug']}/scan", scan),
            (f"/api/checkin/{v['slug']}/undo", {"checkin_id": int(v["checkin_id"])}),
        ]
    ] + [
        ("organiser", f"{session_url}/move",
         {"day": demo.conference_day, "start": "10:00", "room_id": demo.room_id}),
        ("organiser", f"{session_url}/resize", {"end": "16:00"}),
    ]  # fmt: skip


def _fresh_nonce(body: dict) -> dict:
    return {**body, "nonce": str(uuid.uuid4())} if body.get("nonce") == "" else body


def test_json_apis_never_500(app, demo, sweep):
    clients = _clients(app, demo, ("door", "organiser"))
    for role, url, base in _json_apis(demo):
        client = clients[role]
        sweep.hit(client, role, "POST", url, "valid", json=_fresh_nonce(base))
        for key in base:
            for value in HOSTILE_JSON:
                body = (
                    _fresh_nonce({**base, key: value}) if key != "nonce" else {**base, key: value}
                )
                sweep.hit(client, role, "POST", url, f"{key}={str(value)[:20]!r}", json=body)
            missing = {k: v for k, v in base.items() if k != key}
            sweep.hit(client, role, "POST", url, f"{key} missing", json=_fresh_nonce(missing))
        for raw in ('{"code": NaN, "nonce": "12345678"}', '{"day": Infinity}', "[]", "1e999"):
            sweep.hit(client, role, "POST", url, raw, data=raw, content_type="application/json")
    # The agenda's star buttons answer JSON to scripts.
    star = f"/events/{demo.values['slug']}/agenda/sessions/{demo.values['session_id']}"
    delegate = _client(app, demo.users["delegate"])
    for action in ("star", "unstar", "star"):
        sweep.hit(delegate, "delegate", "POST", f"{star}/{action}", "json",
                  headers={"Accept": "application/json"}, json={"next": "//x"})  # fmt: skip
    sweep.check()


# ------------------------------------------------------------------ ?next= never leaves the site

OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nLocation: https://evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


def test_next_parameters_never_redirect_off_site(app, demo, sweep):
    v = demo.values
    anonymous = _client(app, None)
    delegate = _client(app, demo.users["delegate"])
    organiser = _client(app, demo.users["organiser"])
    login = {"email": "delegate@example.com", "password": "delegate"}
    agenda = f"/events/{v['slug']}/agenda/sessions/{v['session_id']}"
    book = f"/events/{v['slug']}/sessions/{v['session_id']}"
    for n, target in enumerate(OFF_SITE):
        q = quote(target, safe="")
        checks = [
            (delegate, "GET", f"/auth/login?next={q}", {}),
            (anonymous, "POST", f"/auth/login?next={q}", {"data": login}),
            (anonymous, "POST", "/auth/login", {"data": {**login, "next": target}}),
            (delegate, "POST", f"{agenda}/star", {"data": {"next": target}}),
            (delegate, "POST", f"{agenda}/unstar", {"data": {"next": target}}),
            (delegate, "POST", f"{book}/book?next={q}", {}),
            (delegate, "POST", f"{book}/unbook", {"data": {"next": target}}),
            (organiser, "POST", f"/organiser/registrations/{v['registration_id']}/resend",
             {"data": {"next": target}}),
        ]  # fmt: skip
        for client, method, url, kw in checks:
            response = sweep.hit(client, "next", method, url, repr(target), **kw)
            assert response is not None and response.status_code in (302, 303), (url, target)
        # Signing up answers with a page (the same for any address) whose sign-in link
        # keeps only a local `next`.
        person = {"name": "New Person", "email": f"new{n}@example.com",
                  "password": "correct horse", "confirm": "correct horse"}  # fmt: skip
        signed_up = sweep.hit(
            anonymous, "next", "POST", f"/auth/signup?next={q}", repr(target), data=person
        )
        assert signed_up.status_code == 200
        assert "evil.example" not in signed_up.get_data(as_text=True), target
        # The benchmark keeps `next` for the whole journey and offers it as a link.
        for url in ("/benchmark", f"/benchmark/results/{v['public_id']}"):
            page = sweep.hit(delegate, "next", "GET", f"{url}?next={q}", repr(target))
            assert page.status_code == 200
            assert "evil.example" not in page.get_data(as_text=True), (url, target)
    sweep.check()  # every redirect above went to a path on this site


# ------------------------------------------------------------------- emails ignore letter case


def test_emails_in_forms_ignore_letter_case(app, demo, client, runner, outbox):
    login = client.post(
        "/auth/login", data={"email": "Delegate@EXAMPLE.com", "password": "delegate"}
    )
    assert login.status_code == 302
    client.post("/auth/logout")
    users = _count(User)
    again = client.post("/auth/signup", data={
        "name": "Dana Again", "email": "DELEGATE@example.com",
        "password": "correct horse", "confirm": "correct horse"})  # fmt: skip
    assert again.status_code == 200  # the same page as for a new address...
    assert _count(User) == users  # ...but no second account: its owner is told instead
    assert [m["To"] for m in outbox] == ["delegate@example.com"]
    outbox.clear()
    cli = runner.invoke(args=["create-user", "Door@Example.com", "--password", "pw123456"])
    assert cli.exit_code != 0 and "already exists" in cli.output
    assert _count(User) == users

    client.post("/auth/reset", data={"email": "DELEGATE@Example.Com"})
    assert [m["To"] for m in outbox] == ["delegate@example.com"]

    door = make_user(role="door_staff", email="new.door@example.com")
    db.session.commit()
    organiser = _client(app, demo.users["organiser"])
    added = organiser.post(
        f"/organiser/events/{demo.conference_id}/door-staff", data={"email": "New.Door@EXAMPLE.com"}
    )
    assert added.status_code == 302
    assert db.session.get(EventStaff, (demo.conference_id, door.id)) is not None
    speaker = db.session.execute(select(Speaker).where(Speaker.user_id.is_(None))).scalars()
    speaker = speaker.first()
    linked = organiser.post(f"/organiser/speakers/{speaker.id}", data={
        "name": speaker.name, "user_email": "Tom.Barker@Example.COM"})  # fmt: skip
    assert linked.status_code == 302
    db.session.expire_all()
    assert db.session.get(Speaker, speaker.id).user.email == "tom.barker@example.com"


# ------------------------------------------------------------- CSRF on every POST, when it is on


def _post_rules():
    from app import create_app
    from tests.conftest import _config

    app = create_app(_config("sqlite://"))
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.rule not in SKIPPED_RULES and not r.rule.startswith(API)
    )


API = "/api/v1/"  # bearer tokens, not cookies: no CSRF token to ask for (see the test below)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_api_ignores_a_signed_in_browser(app, client, login):
    """A cross-site POST carries the browser's cookies, never a bearer token: refused as
    unauthenticated, so the API needs no CSRF token."""
    login(make_user(role="organiser"))
    db.session.commit()
    api_posts = [
        r.rule for r in app.url_map.iter_rules() if "POST" in r.methods and r.rule.startswith(API)
    ]
    assert api_posts
    for rule in api_posts:
        url = _PARAM.sub(lambda m: "1" if m["conv"] == "int" else "x", rule)
        response = client.post(url, json={"code": "x"})
        assert response.status_code == 401, (url, response.status_code)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("rule", _post_rules())
def test_every_post_refuses_a_missing_csrf_token(app, client, login, rule):
    login(make_user(role="organiser"))
    db.session.commit()
    url = _PARAM.sub(lambda m: "1" if m["conv"] == "int" else "x", rule)
    for kw in ({"data": {"title": "x"}}, {"json": {"code": "x", "nonce": "12345678"}}):
        response = client.post(url, **kw)
        assert response.status_code == 400, (url, kw, response.status_code)
        assert b"security token" in response.data or b"CSRF" in response.data


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_stripe_webhook_needs_no_csrf_token(client):
    response = client.post("/payments/stripe/webhook", data=b"{}", content_type="application/json")
    # Without Stripe keys: refused for want of configuration, never for want of a CSRF token.
    assert response.status_code == 503
    assert response.json["error"] == "Not configured"


@pytest.mark.config(
    WTF_CSRF_ENABLED=True, STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_test"
)
def test_the_configured_stripe_webhook_refuses_an_unsigned_body_not_a_missing_csrf_token(client):
    response = client.post("/payments/stripe/webhook", data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "Bad request"
    assert b"security token" not in response.data and b"CSRF" not in response.data


# ------------------------------------------------------------- refusals leave the data as it was


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def test_refusals_leave_every_table_as_it_was(app, demo):
    v = demo.values
    anonymous = _client(app, None)
    newcomer = _client(app, demo.users["newcomer"])
    door = _client(app, demo.users["door"])
    organiser = _client(app, demo.users["organiser"])
    assert newcomer.post("/benchmark/start").status_code == 302
    event = db.session.get(Event, demo.conference_id)
    speaker = db.session.get(Speaker, int(v["speaker_id"]))
    kept = (event.title, event.capacity, event.starts_at, speaker.photo_etag)
    workshop = db.session.execute(
        select(Event).where(Event.slug == "lean-essentials-workshop")
    ).scalar_one()
    too_large = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    photo = FileStorage(BytesIO(_image("PNG")[:40]), filename="photo.png")
    password = {"password": "long enough", "confirm": "long enough"}
    scan = f"/api/checkin/{v['slug']}/scan"
    refusals = [
        (anonymous, "/auth/signup", 422, {"data": {"name": "X", "email": "no email", **password}}),
        (anonymous, "/auth/signup", 415, {"json": {"name": "X", "email": "x@example.com"}}),
        (newcomer, f"/events/{workshop.slug}/register", 400,
         {"data": {"ticket_type": "99999999999999999999"}}),
        (newcomer, f"/events/{workshop.slug}/register", 400,
         {"data": {"ticket_type": str(event.ticket_types[0].id)}}),
        (newcomer, f"/events/{workshop.slug}/register", 415, {"json": [1, 2, 3]}),
        (newcomer, "/benchmark/step/leadership", 400, {"data": {"leadership.plan": "7"}}),
        (newcomer, "/benchmark/metrics", 400, {"data": {"turnover_gbp": "-5", "fte": "NaN"}}),
        (door, scan, 400, {"json": {"code": {"a": 1}, "nonce": "12345678"}}),
        (door, scan, 400, {"json": {"code": v["secret"], "session_id": 2**31, "nonce": "1" * 9}}),
        (door, f"/api/checkin/{v['slug']}/undo", 400, {"json": {"checkin_id": "1"}}),
        (organiser, "/organiser/events/new", 422, {"data": {
            "title": "Bad dates", "kind": "workshop", "starts_at": "2026-02-30T10:00",
            "ends_at": "2026-03-01T10:00"}}),
        (organiser, "/organiser/events/new", 422, {"data": {
            "title": "Backwards", "kind": "workshop", "starts_at": "2031-03-02T10:00",
            "ends_at": "2031-03-01T10:00"}}),
        (organiser, f"/organiser/events/{event.id}/edit", 422, {"data": {
            "title": "Renamed", "kind": "conference", "starts_at": "2031-03-01T10:00",
            "ends_at": "2031-03-01T12:00", "capacity": "-1"}}),
        (organiser, f"/organiser/events/{event.id}/edit", 422, {"data": {
            "title": "Year one", "kind": "conference", "starts_at": "0001-01-01T00:00",
            "ends_at": "2031-03-01T12:00"}}),
        (organiser, f"/organiser/events/{event.id}/edit", 422, {"data": {
            "title": "Forever", "kind": "conference", "starts_at": "2031-03-01T10:00",
            "ends_at": "9999-12-31T23:59"}}),
        (organiser, f"/organiser/events/{event.id}/edit", 422, {"data": {
            "title": "Too long", "kind": "conference", "starts_at": "2031-03-01T10:00",
            "ends_at": "2031-04-11T10:00"}}),
        (organiser, f"/organiser/events/{event.id}/tickets/new", 422, {"data": {
            "name": "Ancient", "sales_start": "0001-01-01T00:00"}}),
        (organiser, f"/organiser/events/{event.id}/agenda/sessions/new", 400, {"data": {
            "title": "Never", "kind": "talk", "day": "2026-02-30", "starts": "10:00",
            "ends": "11:00", "room_id": "0"}}),
        (organiser, f"/organiser/events/{event.id}/agenda/sessions/{v['session_id']}/move", 400,
         {"json": {"day": demo.conference_day, "start": "25:61"}}),
        (organiser, f"/organiser/events/{event.id}/tickets/new", 422,
         {"data": {"name": "Negative", "price": "-1"}}),
        (organiser, "/organiser/speakers/new", 400, {"data": {"name": "Damaged", "photo": photo}}),
        (organiser, f"/organiser/events/{event.id}/door-staff", 422,
         {"data": {"email": "nobody@example.com"}}),
        (organiser, "/organiser/speakers/new", 413, {"data": {"name": "Big", "bio": too_large}}),
        (door, scan, 413, {"data": json.dumps({"code": too_large}),
                           "content_type": "application/json"}),
    ]  # fmt: skip
    before = _row_counts()
    for client, url, status, kw in refusals:
        response = client.post(url, **kw)
        assert response.status_code == status, (url, kw, response.status_code)
        assert response.data
    db.session.expire_all()
    assert _row_counts() == before
    event = db.session.get(Event, demo.conference_id)
    speaker = db.session.get(Speaker, int(v["speaker_id"]))
    assert (event.title, event.capacity, event.starts_at, speaker.photo_etag) == kept


# ----------------------------------------------- pages still work with the extremes forms accept


def test_every_page_renders_with_the_extremes_the_forms_accept(app, demo, sweep):
    v = demo.values
    organiser = _client(app, demo.users["organiser"])
    edit = f"/organiser/events/{demo.conference_id}/edit"
    fields = dict(next(f for a, f, _ in _forms_on(organiser.get(edit).text) if a != "/auth/logout"))
    extremes = {
        "title": "Ü" * 200, "summary": "🎉" * 300, "capacity": "100000",
        "description": ("**bold** _em_ [link](https://example.com) `code`\n\n> quote\n\n- a\n"
                        "  - b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n") * 150,
        "starts_at": "2099-12-01T00:00", "ends_at": "2099-12-31T23:59",
        "registration_opens_at": "2000-01-01T00:00", "registration_closes_at": "",
    }  # fmt: skip
    changes = [
        (edit, {**fields, **extremes}),
        (f"/organiser/events/{demo.conference_id}/tickets/{v['ticket_type_id']}", {
            "name": "Ü" * 120, "price": "0", "capacity": "100000",
            "sales_start": "2000-01-01T00:00", "sales_end": "2099-12-31T23:59"}),
        (f"/organiser/events/{demo.conference_id}/agenda/sessions/new", {
            "title": "Ü" * 200, "kind": "workshop", "day": "2099-12-31", "starts": "23:00",
            "ends": "23:59", "room_id": str(demo.room_id), "capacity": "10000",
            "track": "🎉" * 80, "abstract": "x" * 5000, "pillars": "lean"}),
        (f"/organiser/events/{demo.conference_id}/agenda/sessions/new", {
            "title": "Midnight", "kind": "talk", "day": "2099-12-01", "starts": "00:00",
            "ends": "00:05", "room_id": "0"}),
        (f"/organiser/speakers/{v['speaker_id']}", {
            "name": "Ü" * 120, "job_title": "🎉" * 120, "organisation": "x" * 200,
            "bio": "word " * 2000, "links": "\n".join(f"L{n} | https://example.com/{n}"
                                                    for n in range(5))}),
        (f"/organiser/events/{demo.conference_id}/agenda/publish", {}),
    ]  # fmt: skip
    for url, data in changes:
        response = sweep.hit(organiser, "organiser", "POST", url, "accepted", data=data)
        assert response.status_code == 302, (url, response.status_code)
    for role, client in _clients(app, demo).items():
        for rule in _rules(app):
            if "GET" in rule.methods:
                sweep.hit(client, role, "GET", _url(rule, _real_values(rule, demo)), "extremes")
    sweep.check()
