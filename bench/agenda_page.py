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
- GET /events/<slug>/schedule.xml      the export for schedule apps (200)
- GET /speakers                        the speaker list (200)

Prints p50/p99 latency and requests per second for each.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
from urllib.parse import urlencode

from harness import ROOT, free_port, load, seed_conference, start_gunicorn, wait_until_up

SLUG = "bench-agenda"
BENCH_LOGIN = ("bench@example.com", "bench-password")


def seed(database_url: str, sessions: int, speaker_count: int) -> None:
    seed_conference(database_url, SLUG, sessions, speaker_count, per_day=-(-sessions // 3))
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from app.auth.models import User
    from app.extensions import db
    from config import DevelopmentConfig

    with create_app(DevelopmentConfig).app_context():
        delegate = User(email=BENCH_LOGIN[0], name="Bench Delegate", role="delegate")
        delegate.set_password(BENCH_LOGIN[1])
        db.session.add(delegate)
        db.session.commit()
        db.engine.dispose()


def sign_in(port: int) -> str:
    """Log the bench delegate in through the real form; returns the session cookie."""
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
    server = start_gunicorn(database_url, port, args.workers, args.threads)
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
        load(port, page, {}, 40, 4, 200)  # warm up every worker
        load(port, page, signed_in, 40, 4, 200)
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            n = args.requests
            cases = [
                ("agenda page (200)", page, {}, 200),
                ("agenda signed in (200)", page, signed_in, 200),
                ("agenda If-None-Match (304)", page, {"If-None-Match": etag}, 304),
                ("agenda.json (200)", f"/events/{SLUG}/agenda.json", {}, 200),
                ("schedule.xml (200)", f"/events/{SLUG}/schedule.xml", {}, 200),
                ("speaker list (200)", "/speakers", {}, 200),
            ]
            for label, path, headers, status in cases:
                results.append(
                    (concurrency, label, load(port, path, headers, n, concurrency, status))
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
