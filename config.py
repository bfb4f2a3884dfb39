"""Configuration, read from the environment. See README.md, "Configuration".

Production refuses to start on unsafe settings: `startup_problems` lists them, and the entry
points (wsgi.py, gunicorn.conf.py) turn them into one line on stderr and a non-zero exit."""

import multiprocessing
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

ENVIRONMENTS = ("development", "production", "test")
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused in production)
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
MIN_SECRET_KEY_LENGTH = 32

# Every whole-number setting read through _int, with its default: startup_problems checks them.
NUMBER_SETTINGS: dict[str, int] = {}


class ConfigError(RuntimeError):
    """A setting that makes Journey unsafe or unable to run; the message names it."""


def _bool(name: str, default: bool, environ: Mapping[str, str] = os.environ) -> bool:
    value = environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int, environ: Mapping[str, str] = os.environ) -> int:
    """A whole-number setting. A value that is not one falls back to the default here and is
    reported by startup_problems, so the process stops with a message naming the setting
    rather than a ValueError traceback from the middle of an import."""
    NUMBER_SETTINGS.setdefault(name, default)
    try:
        return int(environ.get(name, "").strip() or default)
    except ValueError:
        return default


def default_web_workers() -> int:
    return min(4, multiprocessing.cpu_count() * 2)


def web_workers(environ: Mapping[str, str] = os.environ) -> int:
    """How many gunicorn workers WEB_CONCURRENCY asks for (gunicorn.conf.py uses it too)."""
    return _int("WEB_CONCURRENCY", default_web_workers(), environ)


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'journey.db'}")
    # Heroku-style URLs name the old driver; Journey uses psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _ratelimit_storage_uri() -> str:
    # With Redis there for the job queue, rate limits are counted there too, so every web
    # process shares one count; otherwise each process counts on its own.
    return os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"


class Config:
    JOURNEY_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    # Pooled connections are pinged at checkout by app/dbping.py (pool_pre_ping's check, which
    # the door's scan can skip).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BASE_URL = os.environ.get("BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (speaker photos) are small

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS_SECONDS = 0  # production only (ProductionConfig)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # and a sign-in ends on the server then too
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session

    # Mail: backend is console | file | smtp | memory.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Productivity Journey <events@example.com>"
    )
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    # The outbox (docs/outbox.md): first retry delay (each later one 3× longer), attempts
    # before a message is marked failed, and how long a worker's claim lasts before another
    # worker may take the message over.
    MAIL_RETRY_SECONDS = int(os.environ.get("MAIL_RETRY_SECONDS", "60"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    MAIL_CLAIM_SECONDS = int(os.environ.get("MAIL_CLAIM_SECONDS", "300"))
    MAIL_BATCH = int(os.environ.get("MAIL_BATCH", "100"))  # messages per claim (one connection)
    # true: the web process delivers what each commit wrote, straight after the commit.
    # false: only `flask worker` processes send (the web process just queues the job).
    JOURNEY_INLINE_WORKER = _bool("JOURNEY_INLINE_WORKER", True)
    # The job queue: Redis when set, else a SQLite file beside the app (one machine).
    REDIS_URL = os.environ.get("REDIS_URL") or None
    QUEUE_FILE = os.environ.get("QUEUE_FILE", str(INSTANCE_DIR / "queue.db"))
    # Public pages kept per version (app/pagecache.py, docs/caching.md): each process reads the
    # version at most this often (the staleness bound, in seconds; 0 reads it every request).
    # Kept pages live in Redis when REDIS_URL is set (for PAGE_CACHE_SECONDS), else in each
    # process (at most PAGE_CACHE_MB).
    PUBLIC_VERSION_SECONDS = float(os.environ.get("PUBLIC_VERSION_SECONDS") or 1)
    PAGE_CACHE_MB = _int("PAGE_CACHE_MB", 32)
    PAGE_CACHE_SECONDS = _int("PAGE_CACHE_SECONDS", 3600)
    PAGE_CACHE_NAMESPACE = "journey"

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_CHECKOUT_MINUTES = _int("STRIPE_CHECKOUT_MINUTES", 30)  # Stripe's minimum is 30
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # e.g. a stripe-mock server
    # Payment methods besides cards, e.g. "bacs_debit": they settle days later (seat held).
    STRIPE_DELAYED_METHODS = os.environ.get("STRIPE_DELAYED_METHODS", "")

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = _ratelimit_storage_uri()
    RATELIMIT_HEADERS_ENABLED = True
    CHECKIN_SCAN_RATE_LIMIT = os.environ.get("CHECKIN_SCAN_RATE_LIMIT", "600 per minute")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    # Webhooks to loopback, link-local and private addresses (refused in production unless
    # this is set: they are how a webhook reaches into the network it runs in).
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", True)

    # Registration holds (DESIGN.md rule 3).
    HOLD_DAYS = _int("HOLD_DAYS", 7)
    HOLD_REMINDER_HOURS = _int("HOLD_REMINDER_HOURS", 48)
    # Site visits needing the host's approval: hosts are reminded of undecided applications
    # this long before the visit, which are released (seat to the waiting list) at the deadline.
    HOST_REMINDER_HOURS = _int("HOST_REMINDER_HOURS", 48)
    HOST_DECISION_DEADLINE_HOURS = _int("HOST_DECISION_DEADLINE_HOURS", 24)
    # Confirmed delegates are reminded of their event this many hours before it starts.
    EVENT_REMINDER_HOURS = _int("EVENT_REMINDER_HOURS", 48)
    PASSWORD_RESET_MAX_AGE = 3600  # seconds

    # Who invoices and receipts for paid tickets come from; the address takes ";" between lines.
    INVOICE_ISSUER = os.environ.get("INVOICE_ISSUER", "Productivity Journey")
    INVOICE_ADDRESS = os.environ.get("INVOICE_ADDRESS", "")
    INVOICE_VAT_NUMBER = os.environ.get("INVOICE_VAT_NUMBER", "")
    # How to pay an invoice (bank details); the deadline and the reference are added to it.
    INVOICE_PAYMENT_DETAILS = os.environ.get("INVOICE_PAYMENT_DETAILS", "")

    # Number of proxies in front of gunicorn whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    DEFAULT_TIMEZONE = "Europe/London"

    def __init__(self) -> None:
        _raise_problems(startup_problems(os.environ, self.JOURNEY_ENV))


class DevelopmentConfig(Config):
    DEBUG = False
    INVOICE_PAYMENT_DETAILS = os.environ.get(
        "INVOICE_PAYMENT_DETAILS",
        "Bank transfer to Productivity Journey, sort code 00-00-00, account 00000000 "
        "(example details for the demo).",
    )


class TestConfig(Config):
    JOURNEY_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL_EFFECTIVE", "sqlite://")
    MAIL_BACKEND = "memory"
    JOURNEY_INLINE_WORKER = True  # messages reach the memory outbox at COMMIT
    REDIS_URL = None
    QUEUE_FILE = None  # jobs stay in memory
    MAIL_RETRY_SECONDS = 60
    MAIL_MAX_ATTEMPTS = 8
    MAIL_CLAIM_SECONDS = 300
    MAIL_BATCH = 100
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False  # tests that check CSRF turn it on with @pytest.mark.config
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_CHECKOUT_MINUTES = 30
    STRIPE_API_BASE = None
    WEBHOOK_ALLOW_PRIVATE = True  # receivers in tests listen on 127.0.0.1
    EVENT_REMINDER_HOURS = 48
    # Real scrypt with small work factors: hundreds of test users cost milliseconds, not minutes.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 (a method, not a password)

    def __init__(self) -> None:
        pass  # tests set every value here; the environment of the test run is not checked


class ProductionConfig(Config):
    JOURNEY_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Browsers keep to https for this long (Strict-Transport-Security); 0 turns it off.
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", False)
    JOURNEY_INLINE_WORKER = _bool("JOURNEY_INLINE_WORKER", False)  # workers send


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}


def startup_problems(
    environ: Mapping[str, str], env_name: str, workers: int | None = None
) -> list[str]:
    """What stops Journey from starting with these environment variables, one line each,
    naming the setting. Production refuses settings that are unsafe; every environment refuses
    numbers that are not numbers. `workers` is the number of web workers (gunicorn's, when it
    asks); by default what WEB_CONCURRENCY gives."""
    problems = []
    configured = web_workers(environ)  # also registers WEB_CONCURRENCY as a number setting
    workers = configured if workers is None else workers
    if env_name not in ENVIRONMENTS:
        problems.append(f"JOURNEY_ENV is {env_name!r}: use one of {', '.join(ENVIRONMENTS)}.")
    for name in NUMBER_SETTINGS:
        value = environ.get(name, "").strip()
        if value and not _is_int(value):
            problems.append(f"{name} must be a whole number, not {value!r}.")
    if env_name != "production":
        return problems

    secret = environ.get("SECRET_KEY", "")
    generate = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
    if not secret:
        problems.append(f"SECRET_KEY is not set; production needs a random one: {generate}")
    elif secret == DEV_SECRET_KEY:
        problems.append(f"SECRET_KEY is the development value; generate one: {generate}")
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY is {len(secret)} characters; production needs at least "
            f"{MIN_SECRET_KEY_LENGTH}: {generate}"
        )

    base_url = environ.get("BASE_URL", "").strip().rstrip("/")
    if not base_url or base_url == DEFAULT_BASE_URL:
        problems.append(
            "BASE_URL is not set; emails and calendar links are built from it: "
            "set the public address, e.g. BASE_URL=https://events.example.org"
        )
    elif urlsplit(base_url).scheme not in {"http", "https"} or not urlsplit(base_url).hostname:
        problems.append(f"BASE_URL {base_url!r} is not an http(s) address.")

    storage = (
        environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or "memory://"
    ).strip()
    limits_on = _bool("RATELIMIT_ENABLED", True, environ)
    if limits_on and storage.startswith("memory://") and workers > 1:
        problems.append(
            f"RATELIMIT_STORAGE_URI is memory:// with {workers} web workers, so each counts "
            "on its own and limits let through several times too many: set it (or REDIS_URL) "
            "to redis://…, or WEB_CONCURRENCY=1"
        )
    return problems


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise ConfigError("\n".join(problems))


def config_from_env():
    """The configuration JOURNEY_ENV names; ConfigError for a name that is not one."""
    name = os.environ.get("JOURNEY_ENV", "development").strip() or "development"
    if name not in CONFIGS:
        _raise_problems(startup_problems(os.environ, name))
    return CONFIGS[name]


# Shown at start-up; anything secret (keys, passwords) is left out or masked.
_LOGGED_SETTINGS = (
    "JOURNEY_ENV",
    "BASE_URL",
    "SQLALCHEMY_DATABASE_URI",
    "MAIL_BACKEND",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_DEFAULT_SENDER",
    "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI",
    "PROXY_COUNT",
    "HOLD_DAYS",
    "HOLD_REMINDER_HOURS",
    "EVENT_REMINDER_HOURS",
    "HOST_DECISION_DEADLINE_HOURS",
    "SESSION_COOKIE_SECURE",
)


def effective_settings(config: Mapping) -> str:
    """One line of the settings in force, with passwords in URLs masked and keys left out."""
    labels = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
    parts = [f"{labels.get(n, n)}={_mask(config.get(n))}" for n in _LOGGED_SETTINGS]
    parts.append("stripe=" + ("on" if config.get("STRIPE_SECRET_KEY") else "off"))
    return " ".join(parts)


def _mask(value: object) -> str:
    text = "" if value is None else str(value)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}:***@{netloc[1]}"))
