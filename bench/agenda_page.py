"""Benchmark: the public agenda page of a 300-session, 100-speaker conference under gunicorn.

    .venv/bin/python bench/agenda_page.py [--sessions 300] [--speakers 100] [--requests 600]
        [--concurrency 1,4] [--database-url postgresql+psycopg://…/db]

Creates a throwaway database (SQLite in a temporary directory unless --database-url names an
empty PostgreSQL database), loads one published conference over three days in six rooms with
N published sessions (two speakers each, a quarter of them bookable), starts gunicorn with the
project's gunicorn.conf.py, then measures, for each concurrency level:

- GET /events/<slug>/agenda            full render (200)
- GET /events/<slug>/agenda, signed in  a delegate's page, with their stars and bookings (200)
- GET /events/<slug>/agenda + If-None-Match   revalidation (304)
- GET /events/<slug>/agenda.json       the export (200)
- GET /speakers                        the speaker list (200)

Prints p50/p99 latency and requests per second for each.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-agenda"
BENCH_LOGIN = ("bench@example.com", "bench-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(database_url: str, sessions: int, speaker_count: int) -> None:
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
            slug=SLUG, title="Benchmark conference", status="published", venue=venue,
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
        per_day = -(-sessions // 3)
        for i in range(sessions):
            day, slot = divmod(i, per_day)
            begin = starts + timedelta(days=day, minutes=30 * (slot // 6))
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
        from app.auth.models import User

        delegate = User(email=BENCH_LOGIN[0], name="Bench Delegate", role="delegate")
        delegate.set_password(BENCH_LOGIN[1])
        db.session.add(delegate)
        db.session.commit()
        db.engine.dispose()


def sign_in(port: int) -> str:
    """Log the bench delegate in through the real form; returns the session cookie."""
    import re
    from urllib.parse import urlencode

    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/auth/login")
    page = conn.getresponse()
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page.read()).group(1).decode()
    form = urlencode({"email": BENCH_LOGIN[0], "password": BENCH_LOGIN[1], "csrf_token": token})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/auth/login", body=form, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"could not sign in: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def wait_until_up(port: int, deadline: float = 30) -> None:
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
    raise SystemExit("gunicorn did not start")


def run(port: int, path: str, headers: dict, total: int, concurrency: int, status: int):
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = max(1, total // concurrency)
    sizes: set[int] = set()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != status:
                raise SystemExit(f"{path}: expected {status}, got {response.status}")
            sizes.add(len(body))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--speakers", type=int, default=100)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", default="1,4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="journey-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    seed(database_url, args.sessions, args.speakers)

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_ACCESSLOG": "/dev/null",
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench-only",
        "BASE_URL": "https://journey.example",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results = []
    try:
        wait_until_up(port)
        page = f"/events/{SLUG}/agenda"
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", page)
        first = conn.getresponse()
        body = first.read()
        if body.count(b'class="agenda-item') != args.sessions:
            raise SystemExit("the agenda page does not show every session")
        etag = first.getheader("ETag")
        signed_in = {"Cookie": sign_in(port)}
        run(port, page, {}, 40, 4, 200)  # warm up every worker
        run(port, page, signed_in, 40, 4, 200)
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            n = args.requests
            cases = [
                ("agenda page (200)", page, {}, 200),
                ("agenda signed in (200)", page, signed_in, 200),
                ("agenda If-None-Match (304)", page, {"If-None-Match": etag}, 304),
                ("agenda.json (200)", f"/events/{SLUG}/agenda.json", {}, 200),
                ("speaker list (200)", "/speakers", {}, 200),
            ]
            for label, path, headers, status in cases:
                results.append(
                    (concurrency, label, run(port, path, headers, n, concurrency, status))
                )
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"{args.sessions} sessions / {args.speakers} speakers, gunicorn {args.workers} workers x "
        f"{args.threads} threads, {database_url.split(':')[0]}"
    )
    for concurrency, name, r in results:
        print(
            f"  c={concurrency} {name:28} {r['requests']:5d} req  {r['rps']:7.1f} req/s  "
            f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  body {r['bytes']} bytes"
        )


if __name__ == "__main__":
    main()
