"""Production refuses unsafe settings, seen from outside: real `flask` and `gunicorn`
processes exit non-zero with one line naming the setting, before touching the database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {
    "flask db upgrade": [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
}


def _production_env(tmp_path: Path, **settings: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "RATELIMIT_"))}
    env.update(
        JOURNEY_ENV="production",
        SECRET_KEY="k" * 40,
        BASE_URL="https://events.example.org",
        WEB_CONCURRENCY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'journey.db'}",
        BIND="127.0.0.1:0",
        HOME=str(tmp_path),
    )
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "settings, expected",
    [
        ({"SECRET_KEY": "short-key"}, "Journey will not start: SECRET_KEY is 9 characters"),
        ({"BASE_URL": None}, "Journey will not start: BASE_URL is not set"),
    ],
)
def test_production_start_refuses_unsafe_settings(tmp_path, command, settings, expected):
    result = _run(COMMANDS[command], _production_env(tmp_path, **settings))
    assert result.returncode == 1, result.stderr
    refusals = [line for line in result.stderr.splitlines() if "will not start" in line]
    assert len(refusals) == 1 and refusals[0].startswith(expected), result.stderr
    assert not (tmp_path / "journey.db").exists()  # refused before any connection


def test_seed_demo_refuses_in_production_and_writes_nothing(app, database_url, tmp_path):
    env = _production_env(tmp_path, DATABASE_URL=database_url)
    result = _run([sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"], env)
    assert result.returncode == 1
    assert "seed-demo refuses to run in production" in result.stderr
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
