"""What the benchmark scripts share: a free port, a gunicorn started with the project's
gunicorn.conf.py, waiting for it, a seeded conference, and a closed-loop HTTP load with its
latency percentiles. Scripts import it as `harness` (they run from this folder)."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def create_database(server: str) -> tuple[str, str]:
    """A new, empty database on this PostgreSQL server → (its URL, its name)."""
    name = f"journey_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def drop_database(server: str, name: str) -> None:
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    database_url: str, port: int, workers: int, threads: int, app: str = "wsgi:app", **env
):
    """gunicorn with the project's settings, rate limits off, logs discarded."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESSLOG": "/dev/null",
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench-only",
        "BASE_URL": "https://journey.example",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def wait_until_up(port: int, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not start")


def load(
    port: int,
    path: str,
    headers: dict,
    total: int,
    concurrency: int,
    status: int,
    method: str = "GET",
    body=None,
) -> dict:
    """`total` requests (GET, or `method` with `body()` bytes, fresh for each) of `path` from
    `concurrency` clients, each on one kept-alive connection. Every answer must have `status`.
    Returns requests, req/s, p50 and p99 (ms), body size."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = max(1, total // concurrency)
    sizes: set[int] = set()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            conn.request(method, path, body() if body else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != status:
                raise SystemExit(f"{path}: expected {status}, got {response.status}")
            sizes.add(len(data))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "bytes": max(sizes),
    }


def seed_conference(
    database_url: str, slug: str, sessions: int, speaker_count: int, per_day: int
) -> None:
    """One published three-day conference in six rooms with `sessions` published sessions
    (`per_day` a day, two speakers each, every fourth a bookable workshop)."""
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.events.models import (
        AgendaSession,
        Event,
        Room,
        SessionSpeaker,
        Speaker,
        TicketType,
        Venue,
    )
    from app.events.published import snapshot
    from app.extensions import db
    from app.timeutil import utcnow
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade()
        venue = Venue(name="University Conference Centre", address="Earlham Road\nNorwich",
                      postcode="NR4 7TJ")  # fmt: skip
        venue.rooms = [Room(name=f"Room {i}", capacity=80, position=i) for i in range(6)]
        starts = (utcnow() + timedelta(days=60)).replace(hour=8, minute=0, second=0, microsecond=0)
        event = Event(
            slug=slug, title="Benchmark conference", status="published", venue=venue,
            starts_at=starts, ends_at=starts + timedelta(days=2, hours=10), pillars=["lean"],
        )  # fmt: skip
        event.ticket_types = [TicketType(name="Delegate")]
        speakers = [
            Speaker(
                slug=f"bench-speaker-{i}",
                name=f"Speaker {i}",
                job_title="Engineer",
                organisation=f"Manufacturer {i} Ltd",
                bio="A bio.",
            )  # fmt: skip
            for i in range(speaker_count)
        ]
        db.session.add_all([event, *speakers])
        db.session.flush()
        now = utcnow()
        for i in range(sessions):
            day, slot = divmod(i, per_day)
            begin = starts + timedelta(days=day % 3, minutes=30 * (slot // 6))
            session = AgendaSession(
                event=event, title=f"Session {i}: lean flow, cells and kanban",
                room=venue.rooms[slot % 6], kind="workshop" if i % 4 == 0 else "talk",
                abstract="How a small manufacturer halved its lead time.\n" * 3,
                starts_at=begin, ends_at=begin + timedelta(minutes=25),
                track=f"Track {i % 5}", pillars=["lean", "digital"],
                capacity=30 if i % 4 == 0 else None, seats_taken=i % 30,
            )  # fmt: skip
            session.speaker_links = [
                SessionSpeaker(speaker=speakers[i % speaker_count], position=0),
                SessionSpeaker(speaker=speakers[(i + 7) % speaker_count], position=1),
            ]
            db.session.add(session)
            db.session.flush()
            session.published, session.published_at = snapshot(session), now
        event.agenda_published_at = now
        db.session.commit()
        db.engine.dispose()
