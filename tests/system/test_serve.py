"""`make serve`, as an operator runs it: the Procfile's processes under honcho (two web
processes on two ports, a worker, a scheduler) against PostgreSQL and Redis. A delegate
registers through one web process, door staff scan through both, and the confirmation email
is delivered exactly once, by the worker."""

from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.outbox import models as outbox
from app.registration.models import Registration
from tests.conftest import BASE_TEST_URL, csrf_token_from
from tests.factories import PASSWORD, make_event
from tests.factories_checkin import make_door_staff
from tests.factories_registration import make_delegate

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not BASE_TEST_URL, reason="the production shape runs on PostgreSQL (set TEST_DATABASE_URL)"
)


def _free_port_pair() -> int:
    """A port p with p and p + 1 both free (honcho gives web.1 PORT and web.2 PORT + 1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def _wait_for(check, what: str, deadline: float = 60.0, proc=None, log: Path | None = None):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            break
        try:
            result = check()
        except (OSError, requests.RequestException):
            result = None
        if result:
            return result
        time.sleep(0.2)
    output = log.read_text()[-4000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not happen in time\n{output}")


@pytest.fixture
def redis_url(tmp_path):
    """A Redis of this test's own on loopback, so no queue or rate-limit key is shared."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port_pair()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    _wait_for(lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True, "redis")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def serve(app, database_url, redis_url, tmp_path):
    """Runs `make serve` (in this virtualenv) and yields the two web ports and the mail dir."""
    port = _free_port_pair()
    mail_dir = tmp_path / "mail"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "MAIL_"))},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(mail_dir),
        "SECRET_KEY": "serve-test-" + "k" * 32,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": "",
    }
    venv = Path(sys.prefix)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "-o", f"{venv}/.runtime", "serve", f"VENV={venv}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for p in (port, port + 1):
            _wait_for(
                lambda p=p: requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2).ok,
                f"web on port {p}",
                proc=proc,
                log=log,
            )
        yield {"ports": (port, port + 1), "mail_dir": mail_dir, "home": home, "log": log}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    assert not (home / ".gunicorn").exists()  # no control socket shared between instances


def _login(http: requests.Session, base: str, email_address: str) -> None:
    token = csrf_token_from(http.get(f"{base}/auth/login", timeout=10).text)
    response = http.post(
        f"{base}/auth/login",
        data={"csrf_token": token, "email": email_address, "password": PASSWORD},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]


def _scan(http: requests.Session, base: str, slug: str, code: str) -> dict:
    token = csrf_token_from(http.get(f"{base}/checkin/{slug}", timeout=10).text)
    response = http.post(
        f"{base}/api/checkin/{slug}/scan",
        json={"code": code, "session_id": None, "nonce": str(uuid.uuid4())},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _mails(mail_dir: Path) -> list[tuple[str, str]]:
    if not mail_dir.exists():
        return []
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        found.append((message["To"], message["Subject"]))
    return found


def test_make_serve_runs_two_web_processes_a_worker_and_a_scheduler(serve):
    event = make_event(requires_benchmark=False, slug="serve-day", title="Serve Day")
    delegate = make_delegate(email="delegate@serve.example", name="Dana Delegate")
    door = make_door_staff(event, email="door@serve.example")
    db.session.commit()
    web_a, web_b = (f"http://127.0.0.1:{p}" for p in serve["ports"])

    registering = requests.Session()
    _login(registering, web_a, delegate.email)
    page = registering.get(f"{web_a}/events/serve-day/register", timeout=10)
    assert page.status_code == 200, serve["log"].read_text()[-3000:]
    page = page.text
    response = registering.post(
        f"{web_a}/events/serve-day/register",
        data={"csrf_token": csrf_token_from(page), "ticket_type": event.ticket_types[0].id},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    db.session.expire_all()
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.status == "confirmed"

    scanning = requests.Session()
    _login(scanning, web_b, door.email)
    first = _scan(scanning, web_b, "serve-day", registration.ticket_secret)
    assert (first["result"], first["name"]) == ("ok", "Dana Delegate")
    again = _scan(scanning, web_a, "serve-day", registration.ticket_secret)  # the other process
    assert again["result"] == "already_checked_in"

    delivered = _wait_for(lambda: _mails(serve["mail_dir"]), "the confirmation email", 30)
    time.sleep(3)  # a second delivery (a job run twice, the sweep) would arrive by now
    assert _mails(serve["mail_dir"]) == delivered
    assert [to for to, _ in delivered] == ["delegate@serve.example"]
    assert "Serve Day" in delivered[0][1]
    db.session.expire_all()
    rows = db.session.execute(
        select(outbox.OutboxMessage.to, outbox.OutboxMessage.status, outbox.OutboxMessage.attempts)
    ).all()
    assert [tuple(r) for r in rows] == [("delegate@serve.example", "sent", 1)]
    log = serve["log"].read_text().splitlines()
    for process in ("web.1", "web.2", "worker.1", "scheduler.1"):
        assert any(f"| {process} started" in line for line in log), process
    # The worker sent it: the web processes only queued the job (JOURNEY_INLINE_WORKER=false).
    assert any(
        line.split()[1] == "worker.1" and "outbox.deliver" in line and "executed" in line
        for line in log
        if len(line.split()) > 1
    ), "\n".join(log[-40:])
