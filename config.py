"""Configuration, read from the environment. See README.md, "Configuration"."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'journey.db'}")
    # Heroku-style URLs name the old driver; Journey uses psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")  # noqa: S105
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (speaker photos) are small

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session

    # Mail: backend is console | file | smtp | memory.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Productivity Journey <events@example.com>"
    )
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_CHECKOUT_MINUTES = int(os.environ.get("STRIPE_CHECKOUT_MINUTES", "30"))  # Stripe min 30
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # e.g. a stripe-mock server

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    CHECKIN_SCAN_RATE_LIMIT = os.environ.get("CHECKIN_SCAN_RATE_LIMIT", "600 per minute")

    # Registration holds (DESIGN.md rule 3).
    HOLD_DAYS = int(os.environ.get("HOLD_DAYS", "7"))
    HOLD_REMINDER_HOURS = int(os.environ.get("HOLD_REMINDER_HOURS", "48"))
    # Confirmed delegates are reminded of their event this many hours before it starts.
    EVENT_REMINDER_HOURS = int(os.environ.get("EVENT_REMINDER_HOURS", "48"))
    PASSWORD_RESET_MAX_AGE = 3600  # seconds

    # Who invoices and receipts for paid tickets come from; the address takes ";" between lines.
    INVOICE_ISSUER = os.environ.get("INVOICE_ISSUER", "Productivity Journey")
    INVOICE_ADDRESS = os.environ.get("INVOICE_ADDRESS", "")
    INVOICE_VAT_NUMBER = os.environ.get("INVOICE_VAT_NUMBER", "")
    INVOICE_PAYMENT_DETAILS = os.environ.get(
        "INVOICE_PAYMENT_DETAILS",
        "Pay by bank transfer within 14 days, quoting the invoice number. "
        "Ask the organisers for bank details.",
    )

    # Number of proxies in front of gunicorn whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    DEFAULT_TIMEZONE = "Europe/London"


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL_EFFECTIVE", "sqlite://")
    MAIL_BACKEND = "memory"
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False  # tests that check CSRF turn it on with @pytest.mark.config
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_CHECKOUT_MINUTES = 30
    STRIPE_API_BASE = None
    EVENT_REMINDER_HOURS = 48


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    def __init__(self) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production (JOURNEY_ENV=production).")


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}


def config_from_env():
    name = os.environ.get("JOURNEY_ENV", "development")
    return CONFIGS[name]
