"""Benchmark: the scan API under gunicorn on PostgreSQL.

    .venv/bin/python bench/scan_api.py [--rate 200] [--seconds 20] [--storm 40]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Creates a database of its own on the PostgreSQL server (dropped at the end), loads one
conference with enough confirmed tickets and 50 door staff (so the per-user rate limit stays
on, as in production), starts gunicorn with the project's gunicorn.conf.py in production
mode (CSRF on), then:

1. open loop: distinct tickets at --rate scans per second for --seconds. Latency is measured
   from the moment each scan was due, so a slow server cannot hide queueing;
2. storm: --storm devices scan the SAME ticket at the same instant: exactly one admission;
3. closed loop: as fast as 8 devices can go, for the throughput ceiling;
4. the same closed loop against a bare Flask "hello" app under the same gunicorn settings,
   to state the scan API's throughput as a share of what Flask itself can do here.

Prints p50/p95/p99/max latency, throughput and the answers counted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from harness import ROOT, create_database, drop_database, free_port
from sqlalchemy import create_engine, text

SLUG = "bench-door"
STAFF = 50
SECRET_KEY = "bench-" + secrets.token_hex(16)


def seed(database_url: str, tickets: int) -> tuple[list[dict], list[str]]:
    """→ (one signed session per door staff member, ticket codes)."""
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from flask_wtf.csrf import generate_csrf  # noqa: F401  (same salt as below)
    from itsdangerous import URLSafeTimedSerializer
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.auth.models import Organisation, User
    from app.checkin.models import EventStaff
    from app.events.models import Event, TicketType
    from app.extensions import db
    from app.registration.models import Registration
    from app.timeutil import utcnow
    from config import DevelopmentConfig

    config = type("BenchConfig", (DevelopmentConfig,), {"SECRET_KEY": SECRET_KEY})
    app = create_app(config)
    with app.app_context():
        upgrade()
        starts = utcnow().replace(hour=8, minute=0, second=0, microsecond=0)
        event = Event(slug=SLUG, title="Bench conference", status="published",
                      starts_at=starts, ends_at=starts + timedelta(hours=9))  # fmt: skip
        event.ticket_types = [TicketType(name="Delegate")]
        db.session.add(event)
        db.session.flush()
        pw = generate_password_hash("bench", method="scrypt")
        orgs = [Organisation(name=f"Manufacturer {i} Ltd", sector="25") for i in range(50)]
        db.session.add_all(orgs)
        db.session.flush()
        staff = [User(email=f"door{i}@bench.example", name=f"Door {i}", password_hash=pw,
                      role="door_staff") for i in range(STAFF)]  # fmt: skip
        db.session.add_all(staff)
        db.session.flush()
        db.session.add_all(EventStaff(event_id=event.id, user_id=u.id) for u in staff)
        delegates = [
            {
                "email": f"d{i}@bench.example",
                "name": f"Delegate {i}",
                "password_hash": pw,
                "role": "delegate",
                "organisation_id": orgs[i % 50].id,
                "active": True,
                "created_at": utcnow(),
            }  # fmt: skip
            for i in range(tickets)
        ]
        db.session.execute(User.__table__.insert(), delegates)
        ids = db.session.execute(
            text("SELECT id FROM \"user\" WHERE role = 'delegate' ORDER BY id")
        ).scalars()
        codes = []
        rows = []
        for uid in ids:
            code = "JRN1-" + base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
            codes.append(code)
            rows.append({
                "event_id": event.id, "user_id": uid, "ticket_type_id": event.ticket_types[0].id,
                "status": "confirmed", "active_user_id": uid, "holds_seat": True,
                "ticket_secret": code, "amount_due_pence": 0, "amount_paid_pence": 0,
                "created_at": utcnow(), "updated_at": utcnow(),
            })  # fmt: skip
        db.session.execute(Registration.__table__.insert(), rows)
        db.session.commit()
        signer = app.session_interface.get_signing_serializer(app)
        csrf_signer = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token")
        sessions = []
        for u in staff:
            raw = secrets.token_hex(20)
            cookie = signer.dumps({"_user_id": u.get_id(), "_fresh": True, "csrf_token": raw})
            sessions.append({"cookie": f"session={cookie}", "csrf": csrf_signer.dumps(raw)})
        db.engine.dispose()
    return sessions, codes


class Client(threading.local):
    """One keep-alive connection per thread."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def scan(self, session: dict, code: str) -> tuple[int, str]:
        body = json.dumps({"code": code, "session_id": None, "nonce": str(uuid.uuid4())})
        headers = {"Content-Type": "application/json", "Cookie": session["cookie"],
                   "X-CSRFToken": session["csrf"]}  # fmt: skip
        for attempt in range(2):
            try:
                self.conn.request("POST", f"/api/checkin/{SLUG}/scan", body, headers)
                response = self.conn.getresponse()
                data = response.read()
                result = json.loads(data).get("result", "") if response.status == 200 else ""
                return response.status, result or f"http_{response.status}"
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


class CpuMeter:
    """CPU spent by gunicorn's workers and by the PostgreSQL backends serving them, so the
    cost of a scan can be stated independently of whatever else the machine is doing."""

    def __init__(self, server_pid: int, database_url: str, database: str) -> None:
        self.server_pid = server_pid
        self.engine = create_engine(database_url)
        self.database = database

    def pids(self) -> tuple[list[int], list[int]]:
        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
        workers = [int(p) for p in children.read_text().split()] + [self.server_pid]
        with self.engine.connect() as conn:
            backends = conn.execute(
                text("SELECT pid FROM pg_stat_activity "
                     "WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": self.database},
            ).scalars().all()  # fmt: skip
        return workers, list(backends)

    def __enter__(self):
        self.workers, self.backends = self.pids()
        self.start = (cpu_seconds(self.workers), cpu_seconds(self.backends), time.process_time())
        return self

    def __exit__(self, *exc) -> None:
        app0, db0, client0 = self.start
        workers, backends = self.pids()
        self.app = cpu_seconds(workers) - app0
        # backends opened during the run started from zero
        self.db = cpu_seconds(backends) - db0
        self.client = time.process_time() - client0

    def per_scan(self, scans: int) -> str:
        return (f"CPU per scan: app {self.app / scans * 1000:.2f} ms, PostgreSQL "
                f"{self.db / scans * 1000:.2f} ms, load generator "
                f"{self.client / scans * 1000:.2f} ms")  # fmt: skip


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "no samples"

    def p(q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    mean = statistics.fmean(values) * 1000
    return (f"p50 {p(0.50):.1f} ms · p95 {p(0.95):.1f} ms · p99 {p(0.99):.1f} ms · "
            f"max {values[-1] * 1000:.1f} ms · mean {mean:.1f} ms")  # fmt: skip


def open_loop(port, sessions, codes, rate, seconds, meter) -> None:
    client = Client(port)
    total = rate * seconds
    latencies: list[float] = []
    results: Counter = Counter()
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def one(i: int) -> None:
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status, result = client.scan(sessions[i % len(sessions)], codes[i])
        elapsed = time.perf_counter() - due
        with lock:
            latencies.append(elapsed)
            results[result] += 1

    with meter, ThreadPoolExecutor(max_workers=48) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - start
    print(f"open loop, {rate} distinct tickets per second for {seconds} s: {total} scans in "
          f"{wall:.1f} s = {total / wall:.0f} scans/s")  # fmt: skip
    print("   ", percentiles(latencies))
    print("    answers:", dict(results))
    print("   ", meter.per_scan(total))


def storm(port, sessions, code, devices) -> None:
    client = Client(port)
    barrier = threading.Barrier(devices)
    outcomes: list[tuple[int, str, float]] = []

    def one(i: int) -> None:
        client.conn.connect()
        barrier.wait()
        t = time.perf_counter()
        status, result = client.scan(sessions[i % len(sessions)], code)
        outcomes.append((status, result, time.perf_counter() - t))

    with ThreadPoolExecutor(max_workers=devices) as pool:
        list(pool.map(one, range(devices)))
    answers = Counter(r for _, r, _ in outcomes)
    print(f"storm: {devices} devices scan one ticket at the same instant → {dict(answers)}")
    print("   ", percentiles([t for _, _, t in outcomes]))
    assert answers["ok"] == 1, "the ticket must be admitted exactly once"
    assert answers["already_checked_in"] == devices - 1


def closed_loop(port, sessions, codes, devices, seconds, meter) -> float:
    client = Client(port)
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    results: Counter = Counter()
    counter = iter(range(len(codes)))
    lock = threading.Lock()

    def device(d: int) -> None:
        while time.perf_counter() < stop:
            with lock:
                i = next(counter)
            t = time.perf_counter()
            status, result = client.scan(sessions[i % len(sessions)], codes[i])
            with lock:
                latencies.append(time.perf_counter() - t)
                results[result] += 1

    began = time.perf_counter()
    with meter, ThreadPoolExecutor(max_workers=devices) as pool:
        list(pool.map(device, range(devices)))
    wall = time.perf_counter() - began
    print(f"closed loop, {devices} devices as fast as they can for {seconds} s: "
          f"{len(latencies) / wall:.0f} scans/s")  # fmt: skip
    print("   ", percentiles(latencies))
    print("    answers:", dict(results))
    print("   ", meter.per_scan(len(latencies)))
    return len(latencies) / wall


BARE_APP = """
from flask import Flask, jsonify
app = Flask(__name__)
@app.post("/hello")
def hello():
    return jsonify(result="ok")
"""


def bare_flask_baseline(workers: int, seconds: int) -> float:
    """Requests per second of a bare Flask app, same gunicorn settings, same client."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare.py").write_text(BARE_APP)
        port = free_port()
        env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
               "GUNICORN_ACCESSLOG": "/dev/null", "PYTHONPATH": tmp}  # fmt: skip
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "bare:app"],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(port)
            local = threading.local()
            stop = time.perf_counter() + seconds
            counts = []

            def device(_: int) -> None:
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                n = 0
                while time.perf_counter() < stop:
                    local.conn.request(
                        "POST", "/hello", b"{}", {"Content-Type": "application/json"}
                    )
                    local.conn.getresponse().read()
                    n += 1
                counts.append(n)

            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(device, range(8)))
            rate = sum(counts) / (time.perf_counter() - began)
        finally:
            server.terminate()
            server.wait(10)
    print(f"bare Flask app, same gunicorn and client: {rate:.0f} requests/s")
    return rate


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            return
        except OSError:
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--storm", type=int, default=40)
    parser.add_argument("--closed-seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)  # one per core
    args = parser.parse_args()

    tickets = args.rate * args.seconds + 20_000
    url, name = create_database(args.server)
    server = None
    try:
        t = time.perf_counter()
        sessions, codes = seed(url, tickets)
        print(f"seeded {len(codes)} tickets and {len(sessions)} door staff "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
               "JOURNEY_ENV": "production", "BIND": f"127.0.0.1:{port}",
               "WEB_CONCURRENCY": str(args.workers), "GUNICORN_ACCESSLOG": "/dev/null",
               "BASE_URL": "https://journey.example",
               # Production refuses per-worker (memory://) limits with several workers.
               "RATELIMIT_STORAGE_URI": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
               "RATELIMIT_ENABLED": "true", "MAIL_BACKEND": "memory"}  # fmt: skip
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for(port)
        print(f"gunicorn: {args.workers} workers × 2 threads, production config, "
              f"CSRF and per-user rate limit on")  # fmt: skip
        warm = Client(port)
        for i in range(200):  # warm every worker's connection pool
            warm.scan(sessions[i % len(sessions)], "JRN1-WARMUPWARMUPWARMUPWARMUP")
        meter = CpuMeter(server.pid, url, name)
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f} before the run")
        offset = 0
        open_loop(port, sessions, codes[offset:], args.rate, args.seconds, meter)
        offset += args.rate * args.seconds
        storm(port, sessions, codes[offset], args.storm)
        offset += 1
        ceiling = closed_loop(port, sessions, codes[offset:], 8, args.closed_seconds, meter)
        meter.engine.dispose()
        engine = create_engine(url)
        with engine.connect() as conn:
            admitted = conn.execute(text("SELECT count(*) FROM check_in")).scalar_one()
            twice = conn.execute(text(
                "SELECT count(*) FROM (SELECT registration_id FROM check_in "
                "GROUP BY registration_id, point_key HAVING count(*) > 1) d"
            )).scalar_one()  # fmt: skip
            logged = conn.execute(text("SELECT count(*) FROM scan_log")).scalar_one()
        engine.dispose()
        print(f"database: {admitted} admissions, {twice} tickets admitted twice, "
              f"{logged} scans logged")  # fmt: skip
        server.terminate()
        server.wait(10)
        server = None
        bare = bare_flask_baseline(args.workers, args.closed_seconds)
        print(f"scan API throughput = 1/{bare / ceiling:.1f} of the bare Flask app")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        drop_database(args.server, name)


if __name__ == "__main__":
    main()
