"""WSGI entry point: `gunicorn wsgi:app` and `flask --app wsgi …`.

A setting that makes Journey unsafe or unable to run stops the process here, with one line
on stderr naming it and exit status 1, before anything touches the database."""

from config import ConfigError, config_from_env, effective_settings

try:
    settings = config_from_env()()
except ConfigError as exc:
    lines = str(exc).splitlines()
    raise SystemExit("\n".join(f"Journey will not start: {line}" for line in lines)) from None

from app import create_app  # noqa: E402  (after the check: a refused start stays cheap)

app = create_app(settings)
app.logger.info("Journey settings: %s", effective_settings(app.config))
