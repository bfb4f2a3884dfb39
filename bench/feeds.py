"""Benchmark: the calendar feed of a 300-session event, served by gunicorn.

    .venv/bin/python bench/feeds.py [--sessions 300] [--requests 1500] [--concurrency 8]

Creates a throwaway database (SQLite in a temporary directory, or DATABASE_URL if given),
loads one published conference with N published sessions, starts gunicorn with the project's
gunicorn.conf.py, then measures GET /events/<slug>/calendar.ics twice: a full download every
time, and a revalidation with If-None-Match (what subscribed calendars send; answered 304).
Prints p50/p99 latency and requests per second for each.
"""

from __future__ import annotations

import argparse
import http.client
import os
import tempfile

from harness import free_port, load, seed_conference, start_gunicorn, wait_until_up

SLUG = "bench-conference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="journey-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    seed_conference(database_url, SLUG, args.sessions, speaker_count=40, per_day=100)

    port = free_port()
    server = start_gunicorn(database_url, port, args.workers, args.threads)
    try:
        wait_until_up(port)
        path = f"/events/{SLUG}/calendar.ics"
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path)
        first = conn.getresponse()
        first.read()
        etag = first.getheader("ETag")
        load(port, path, {}, 40, 4, 200)  # warm up every worker
        full = load(port, path, {}, args.requests, args.concurrency, 200)
        cached = load(port, path, {"If-None-Match": etag}, args.requests * 4, args.concurrency, 304)
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"{args.sessions}-session event feed, gunicorn {args.workers} workers x {args.threads} "
        f"threads, {args.concurrency} concurrent clients, {database_url.split(':')[0]}"
    )
    for name, r in (("full download (200)", full), ("If-None-Match (304)", cached)):
        print(
            f"  {name:22} {r['requests']:5d} requests  {r['rps']:7.1f} req/s  "
            f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  body {r['bytes']} bytes"
        )


if __name__ == "__main__":
    main()
