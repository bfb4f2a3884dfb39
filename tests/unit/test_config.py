import runpy
from pathlib import Path

import pytest

from app import create_app
from config import (
    DEV_SECRET_KEY,
    ConfigError,
    ProductionConfig,
    _database_url,
    config_from_env,
    effective_settings,
    startup_problems,
)

ROOT = Path(__file__).resolve().parents[2]
SAFE = {
    "SECRET_KEY": "k" * 32,
    "BASE_URL": "https://events.example.org",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


def test_safe_production_settings_have_no_problems():
    assert startup_problems(SAFE, "production", workers=4) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set; production needs a random one"),
        ({"SECRET_KEY": "k" * 31}, "SECRET_KEY is 31 characters; production needs at least 32"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY is the development value"),
        ({"BASE_URL": None}, "BASE_URL is not set; emails and calendar links are built from it"),
        ({"BASE_URL": "http://127.0.0.1:5000/"}, "BASE_URL is not set"),
        ({"BASE_URL": "events.example.org"}, "BASE_URL 'events.example.org' is not an http(s)"),
        ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI is memory:// with 4 web workers"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI is memory:// with 4"),
        ({"HOLD_DAYS": "seven"}, "HOLD_DAYS must be a whole number, not 'seven'."),
        ({"MAIL_PORT": "25.5"}, "MAIL_PORT must be a whole number, not '25.5'."),
        ({"WEB_CONCURRENCY": "lots"}, "WEB_CONCURRENCY must be a whole number, not 'lots'."),
    ],
)
def test_production_refuses_an_unsafe_setting_with_one_line_naming_it(change, expected):
    environ = {**SAFE, **{k: v for k, v in change.items() if v is not None}}
    for name in [k for k, v in change.items() if v is None]:
        del environ[name]
    problems = startup_problems(environ, "production", workers=4)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)
    assert "\n" not in problems[0]


def test_memory_rate_limits_are_fine_with_one_worker_or_with_limits_off():
    memory = {**SAFE, "RATELIMIT_STORAGE_URI": "memory://"}
    assert startup_problems(memory, "production", workers=1) == []
    assert startup_problems({**memory, "RATELIMIT_ENABLED": "false"}, "production", workers=4) == []
    # REDIS_URL alone serves the rate limits too.
    redis_only = {k: v for k, v in SAFE.items() if k != "RATELIMIT_STORAGE_URI"}
    assert startup_problems({**redis_only, "REDIS_URL": "redis://r:6379/0"}, "production", 4) == []
    # WEB_CONCURRENCY is what counts when gunicorn does not say.
    assert startup_problems({**memory, "WEB_CONCURRENCY": "1"}, "production") == []
    assert "2 web workers" in startup_problems({**memory, "WEB_CONCURRENCY": "2"}, "production")[0]


def test_development_accepts_defaults_but_not_a_number_that_is_not_one():
    assert startup_problems({}, "development") == []
    assert startup_problems({"PROXY_COUNT": "one"}, "development") == [
        "PROXY_COUNT must be a whole number, not 'one'."
    ]


def test_an_unknown_journey_env_names_the_allowed_values(monkeypatch):
    monkeypatch.setenv("JOURNEY_ENV", "prod")
    with pytest.raises(ConfigError) as error:
        config_from_env()
    assert str(error.value) == "JOURNEY_ENV is 'prod': use one of development, production, test."


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("BASE_URL", "https://events.example.org")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    with pytest.raises(ConfigError, match="^SECRET_KEY is not set"):
        create_app(ProductionConfig)


def test_the_startup_line_shows_settings_but_no_secret():
    line = effective_settings(
        {
            "JOURNEY_ENV": "production",
            "SECRET_KEY": "s3cr3t-key-value",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://journey:pw-9x@db:5432/journey",
            "RATELIMIT_STORAGE_URI": "redis://:redis-pw@redis:6379/0",
            "MAIL_PASSWORD": "mail-pw",
            "STRIPE_SECRET_KEY": "sk_live_abc",
            "BASE_URL": "https://events.example.org",
            "HOLD_DAYS": 7,
        }
    )
    assert "JOURNEY_ENV=production BASE_URL=https://events.example.org" in line
    assert "DATABASE_URL=postgresql+psycopg://journey:***@db:5432/journey" in line
    assert "RATELIMIT_STORAGE_URI=redis://:***@redis:6379/0" in line
    assert "HOLD_DAYS=7" in line and line.endswith("stripe=on")
    for secret in ("s3cr3t-key-value", "pw-9x", "redis-pw", "mail-pw", "sk_live_abc"):
        assert secret not in line


def _gunicorn_settings(monkeypatch, **environ) -> dict:
    for name in ("JOURNEY_ENV", "GUNICORN_ACCESSLOG", "GUNICORN_CONTROL_SOCKET", "BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_has_no_shared_control_socket_and_recycles_workers(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["control_socket_disable"] is True
    assert "control_socket" not in settings
    assert settings["max_requests"] == 20000
    assert settings["max_requests_jitter"] == 2000
    own = _gunicorn_settings(monkeypatch, GUNICORN_CONTROL_SOCKET="/run/journey/blue.ctl")
    assert own["control_socket"] == "/run/journey/blue.ctl"
    assert own["control_socket_disable"] is False


def test_gunicorn_binds_bind_or_host_and_port(monkeypatch):
    monkeypatch.delenv("HOST", raising=False)
    assert _gunicorn_settings(monkeypatch)["bind"] == "127.0.0.1:5000"
    assert _gunicorn_settings(monkeypatch, PORT="5101")["bind"] == "127.0.0.1:5101"
    assert _gunicorn_settings(monkeypatch, HOST="::1", PORT="8000")["bind"] == "::1:8000"
    assert _gunicorn_settings(monkeypatch, BIND="unix:/run/j.sock", PORT="1")["bind"] == (
        "unix:/run/j.sock"
    )


def test_gunicorn_access_log_follows_one_setting(monkeypatch):
    assert _gunicorn_settings(monkeypatch)["accesslog"] == "-"
    assert _gunicorn_settings(monkeypatch, JOURNEY_ENV="production")["accesslog"] is None
    on = _gunicorn_settings(monkeypatch, JOURNEY_ENV="production", GUNICORN_ACCESSLOG="-")
    assert on["accesslog"] == "-"
    assert _gunicorn_settings(monkeypatch, GUNICORN_ACCESSLOG="off")["accesslog"] is None
    path = _gunicorn_settings(monkeypatch, GUNICORN_ACCESSLOG="/var/log/journey/access.log")
    assert path["accesslog"] == "/var/log/journey/access.log"


def test_production_sets_secure_cookies(monkeypatch, database_url):
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_uses_psycopg3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert _database_url() == expected


@pytest.mark.config(PROPAGATE_UNHANDLED=False)
def test_an_unexpected_error_gets_the_styled_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
