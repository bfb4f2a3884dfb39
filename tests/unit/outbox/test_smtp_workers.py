"""Workers against a real SMTP server (aiosmtpd on a free port): a server that is down, then
refuses, then accepts gets every message exactly once; a worker killed between claim and send
loses nothing; two workers draining one outbox never send a message twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import mail
from app.extensions import db
from app.outbox import delivery
from app.outbox.delivery import deliver_due
from app.outbox.models import OutboxMessage
from app.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[3]


class Server:
    """Records each accepted message's Message-ID. `refuse` answers the next N messages
    451; `stall_first` holds the first RCPT for a long time (a worker stuck mid-send)."""

    def __init__(
        self, refuse: int = 0, stall_first: bool = False, delay: float = 0.0, gate: int = 0
    ):
        self.refuse = refuse
        self.stall_first = stall_first
        self.delay = delay
        self.gate = gate  # accept nothing until this many clients have connected
        self.received: list[str] = []
        self.rcpts = 0
        self.clients: set = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.clients.add(session.peer)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.stall_first and self.rcpts == 1:
            await asyncio.sleep(30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for _ in range(300):  # at most 15 s, inside the client's 20 s timeout
            if len(self.clients) >= self.gate:
                break
            await asyncio.sleep(0.05)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(str(message["Message-ID"]))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(handler: Server, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _queue(n: int) -> list[str]:
    for i in range(n):
        mail.send(mail.build_message(f"d{i}@example.com", f"Message {i}", "Body"), kind="test")
    db.session.commit()
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMessage.message_id)).scalars())


def _statuses() -> Counter:
    db.session.expire_all()
    return Counter(db.session.execute(select(OutboxMessage.status)).scalars())


def test_a_server_down_then_refusing_then_accepting_gets_each_message_once(app):
    port = _free_port()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    now = utcnow()
    ids = _queue(5)  # the inline worker finds the server down: first retry 60 s after that
    assert _statuses() == Counter(queued=5)
    handler = Server(refuse=2)
    controller = _start(handler, port)
    try:
        assert deliver_due(now + timedelta(seconds=59)).claimed == 0  # not due yet
        second = deliver_due(now + timedelta(seconds=120))  # two refused with 451
        assert (second.sent, second.retrying) == (3, 2)
        third = deliver_due(now + timedelta(seconds=120 + 180))
        assert (third.sent, third.retrying, third.failed) == (2, 0, 0)
    finally:
        controller.stop()
    assert sorted(handler.received) == sorted(ids)  # every message, exactly once
    assert _statuses() == Counter(sent=5)


def _worker_env(database_url: str, port: int, tmp_path: Path, **extra: str) -> dict:
    env = {
        **os.environ,
        "JOURNEY_ENV": "development",
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "QUEUE_FILE": str(tmp_path / "queue.db"),
        "FLASK_APP": "wsgi",
        **extra,
    }
    env.pop("REDIS_URL", None)
    return env


def _flask(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_worker_killed_between_claim_and_send_loses_nothing(app, database_url, tmp_path):
    port = _free_port()
    handler = Server(stall_first=True)
    controller = _start(handler, port)
    try:
        ids = _queue(1)
        env = _worker_env(database_url, port, tmp_path, MAIL_CLAIM_SECONDS="2")
        worker = _flask("worker", "--burst", env=env)
        deadline = time.monotonic() + 30
        while handler.rcpts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _statuses() == Counter(sending=1)  # claimed, and stuck in the middle of sending
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=10)
        assert deliver_due().claimed == 0  # the claim still holds
        time.sleep(2.1)
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        assert deliver_due().sent == 1
    finally:
        controller.stop()
    assert handler.received == ids
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.config(JOURNEY_INLINE_WORKER=False, MAIL_BATCH=10)
def test_two_workers_draining_one_outbox_send_each_message_once(app, monkeypatch):
    """Two workers, each with its own database connection, start at the same moment on one
    outbox; the transport is slow enough that they overlap throughout."""
    ids = _queue(200)
    delivered: list[tuple[str, str]] = []
    lock = threading.Lock()

    def slow_transport(messages):
        time.sleep(0.01 * len(messages))
        with lock:
            delivered.extend(
                (threading.current_thread().name, str(m["Message-ID"])) for m in messages
            )
        return [None] * len(messages)

    monkeypatch.setattr(mail, "deliver_each", slow_transport)
    claims: list[int] = []
    real_claim = delivery.claim

    def counted_claim(wanted, now):
        token, mine = real_claim(wanted, now)
        with lock:
            claims.append(len(mine))
        return token, mine

    monkeypatch.setattr(delivery, "claim", counted_claim)
    barrier = threading.Barrier(2)
    outcomes: dict[str, int] = {}

    def worker() -> None:
        with app.app_context():
            db.session.execute(select(OutboxMessage.id).limit(1)).all()  # connected first
            db.session.rollback()
            barrier.wait()
            outcomes[threading.current_thread().name] = deliver_due().sent

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(outcomes.values()) == 200 and len(outcomes) == 2
    assert min(outcomes.values()) > 0, outcomes  # both took a share: claims do not block
    assert sum(claims) == 200 and max(claims) == 10, claims  # no claim passes MAIL_BATCH
    assert Counter(m for _, m in delivered) == Counter(ids)  # each exactly once
    assert _statuses() == Counter(sent=200)
