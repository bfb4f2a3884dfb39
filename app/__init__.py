"""Journey: the events and productivity benchmark of a manufacturing productivity programme."""

import logging
from pathlib import Path

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.datastructures import MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config_class=None) -> Flask:
    if config_class is None:
        from config import config_from_env

        config_class = config_from_env()
    app = Flask(__name__, instance_relative_config=True)
    app.json = _JSONProvider(app)
    app.config.from_object(config_class() if isinstance(config_class, type) else config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("PROXY_COUNT"):
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    from app.dbping import ping_on_checkout

    with app.app_context():
        for engine in db.engines.values():
            ping_on_checkout(engine)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    from app import pagecache

    pagecache.init_app(app)

    from app import models  # noqa: F401  (registers every table)
    from app.converters import IdConverter
    from app.events import public_version  # noqa: F401  (stamps events on venue/ticket edits)
    from app.registration import reminders  # noqa: F401  (connects its signal receivers)
    from app.webhooks import emit  # noqa: F401  (the session hook that writes deliveries)

    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    from app.csvexport import add_xlsx_twins

    add_xlsx_twins(app)  # every CSV download also as an Excel workbook

    from app.errors import register_error_handlers
    from app.templating import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)

    from app.outbox import jobs

    jobs.init_app(app)

    from app.cli import register_cli

    register_cli(app)

    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL can neither store nor compare text holding a NUL, and no page of ours
        # sends one: refuse it here, once, rather than fail deep inside a query.
        if _has_nul(request.path, request.args, request.form, request.get_json(silent=True)):
            abort(400, "The request contains a NUL character, which is not allowed.")

    from app.security import init_security

    init_security(app)

    return app


def _register_blueprints(app: Flask) -> None:
    from app.api.routes import bp as api_bp
    from app.api.views import bp as api_tokens_bp
    from app.auth.account_routes import bp as account_bp
    from app.auth.business_routes import bp as membership_bp
    from app.auth.routes import bp as auth_bp
    from app.benchmark.routes import bp as benchmark_bp
    from app.checkin.pwa import bp as checkin_pwa_bp
    from app.checkin.routes import bp as checkin_bp
    from app.events.agenda_routes import bp as agenda_bp
    from app.events.routes import bp as events_bp
    from app.events.speaker_routes import bp as speakers_bp
    from app.feedback.routes import bp as feedback_bp
    from app.feeds.routes import bp as feeds_bp
    from app.health import bp as health_bp
    from app.hosts.brief_routes import public_bp as visit_terms_bp
    from app.hosts.routes import bp as hosts_bp
    from app.imports.views import bp as imports_bp
    from app.organiser.routes import bp as organiser_bp
    from app.outcomes.business_routes import bp as business_bp
    from app.outcomes.organiser_routes import bp as outcomes_bp
    from app.payments.routes import bp as payments_bp
    from app.questions.routes import bp as questions_bp
    from app.registration import booking_routes  # noqa: F401  (its views join registration_bp)
    from app.registration.routes import bp as registration_bp
    from app.webhooks.views import bp as webhooks_bp

    for bp in (
        health_bp,
        auth_bp,
        account_bp,
        membership_bp,
        events_bp,
        agenda_bp,
        speakers_bp,
        benchmark_bp,
        registration_bp,
        questions_bp,
        payments_bp,
        checkin_bp,
        checkin_pwa_bp,
        feeds_bp,
        feedback_bp,
        organiser_bp,
        outcomes_bp,
        business_bp,
        api_bp,
        api_tokens_bp,
        webhooks_bp,
        imports_bp,
        hosts_bp,
        visit_terms_bp,
    ):
        app.register_blueprint(bp)


class _JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            # Nested deeper than Python's stack: a malformed body (400), not a crash.
            raise ValueError("JSON nested too deeply") from exc


def _has_nul(*values) -> bool:
    """Whether any text in these values (form data, JSON of any depth) holds a NUL."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, MultiDict):
            stack.extend(value.keys())
            stack.extend(v for _, vs in value.lists() for v in vs)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and a writer work together, wait for locks."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases answer "memory"; fine
    cursor.close()
