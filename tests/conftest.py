"""Shared fixtures: one database per test run (SQLite file, or a fresh PostgreSQL database
when TEST_DATABASE_URL is set), migrated once with `flask db upgrade` and emptied after
every test."""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

BASE_TEST_URL = os.environ.get("TEST_DATABASE_URL")


def _share_url_builders() -> None:
    """Every test builds an app of its own (fresh extensions, caches and config), and werkzeug
    compiles Python source for each URL rule's builder every time: about 90% of the 136 ms
    create_app took, some three minutes of a CI run. A builder depends only on the rule's
    shape (its parts, defaults and converters; it reads the rule through `self` when called),
    so apps built in one test process share them."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict = {}

    def shared(self, append_unknown: bool = True):
        converters = tuple(
            (name, type(c), repr({k: v for k, v in vars(c).items() if k != "map"}))
            for name, c in sorted(self._converters.items())
        )
        defaults = repr(sorted((self.defaults or {}).items()))
        key = (tuple(self._trace), append_unknown, defaults, converters)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared


_share_url_builders()


def _create_pg_database(url: str) -> tuple[str, str]:
    """A database of our own on the server, so parallel runs never share tables."""
    base = make_url(url)
    name = f"journey_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(url: str, name: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if BASE_TEST_URL:
        url, name = _create_pg_database(BASE_TEST_URL)
    else:
        url, name = f"sqlite:///{tmp_path_factory.mktemp('db') / 'journey.db'}", None
    os.environ["TEST_DATABASE_URL_EFFECTIVE"] = url
    from app import create_app

    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()
    yield url
    if name:
        _drop_pg_database(BASE_TEST_URL, name)


def _config(url: str, **overrides):
    from config import TestConfig

    attrs = {"SQLALCHEMY_DATABASE_URI": url, **overrides}
    return type("RunConfig", (TestConfig,), attrs)


@pytest.fixture
def app(database_url, request):
    from app import create_app
    from app.extensions import db

    marker = request.node.get_closest_marker("config")
    overrides = marker.kwargs if marker else {}
    app = create_app(_config(database_url, **overrides))
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    _empty_tables(db)
    db.engine.dispose()
    ctx.pop()


def _empty_tables(db) -> None:
    tables = list(reversed(db.metadata.sorted_tables))  # rows that others point to go last
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # DELETE and sequences restarted, in one round trip: TRUNCATE (a new file for each
            # of some fifty tables and their indexes) took about 190 ms a test, this about 10.
            sequences = conn.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
            ).scalars()
            conn.exec_driver_sql(
                "; ".join([f'DELETE FROM "{t.name}"' for t in tables]
                          + [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences])
            )  # fmt: skip
        else:
            for table in tables:
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g`, its own
    database session. Commit what a test sets up before making a request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    from app.mail import outbox as get_outbox

    box = get_outbox(app)
    box.messages.clear()
    return box.messages


@pytest.fixture
def login(client):
    """login(user) signs the test client in as `user` (no form round trip)."""

    def _login(user):
        from tests.factories import login_id

        ident = login_id(user)  # a live server-side sign-in (commits)
        with client.session_transaction() as session:
            session["_user_id"] = ident
            session["_fresh"] = True
        return user

    return _login


@contextmanager
def _count(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|PRAGMA)", statement, re.I):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


class PageClock:
    """Stands in for the page cache's clock (time.monotonic), so a test reads kept pages within
    the staleness bound however slow the machine, and steps past it only by moving `now`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def page_clock(monkeypatch):
    """Every test: the staleness bound never passes by itself, so query counts do not depend
    on how fast the machine is (a commit in the test still makes the next page read anew)."""
    from app import pagecache

    fake = PageClock()
    monkeypatch.setattr(pagecache, "clock", fake)
    return fake


@pytest.fixture
def count_queries(app):
    """with count_queries() as queries: ...; len(queries) is the number of SQL statements."""
    from app.extensions import db

    return lambda: _count(db.engine)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port, in a thread, sharing the test database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    """On CI a missing Chromium fails the run: skipping would hide the whole browser layer.
    With TEST_DATABASE_URL only the tests that reach a database run (those asking for the
    `database_url` fixture, directly or through `app`): the others (scoring, calendars,
    configuration, …) would only repeat the SQLite pass."""
    wanted = any(item.get_closest_marker("browser") for item in items)
    if wanted and os.environ.get("CI") and not os.path.exists(CHROMIUM):
        raise pytest.UsageError(
            f"CI is set but Chromium is missing at {CHROMIUM}: the browser tests cannot run. "
            "Install it (apt-get install chromium chromium-driver) or run `make test` as root."
        )
    if BASE_TEST_URL:
        without = [item for item in items if "database_url" not in item.fixturenames]
        if without:
            config.hook.pytest_deselected(items=without)
            items[:] = [item for item in items if "database_url" in item.fixturenames]


@pytest.fixture(scope="session")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium), browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def artifacts_dir():
    """Screenshots from browser tests land here, to be looked at."""
    path = os.path.join(os.path.dirname(__file__), "..", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path
