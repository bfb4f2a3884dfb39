"""Benchmark: a burst of registrations for too few seats, against two gunicorn instances that
share one PostgreSQL database.

    .venv/bin/python bench/registration_burst.py [--attempts 2000] [--seats 500]
        [--concurrency 40] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--workers 1] [--worker-nice 10] [--redis redis://127.0.0.1:6379/15] [--keep]

Creates its own database on the server named by --pg, migrates it, seeds one published event
with N seats (the benchmark gate on; every delegate's business has a benchmark, so winners are
confirmed and sent a ticket email with its QR code and .ics) and one delegate per attempt. It
then starts two gunicorn instances (production settings: the web processes only queue emails)
and --workers `flask worker` processes (emails written to files), and fires the attempts from
a thread pool, alternating between the instances. Each attempt is what a browser does: GET the
registration page (session cookie, CSRF token), then POST the form. The job queue is Redis
with --redis, else a SQLite file.

Reports seats taken (must equal --seats), rows holding a seat, HTTP outcomes (302 registered,
409 full, any 5xx is a server error), POST latency p50/p99, then waits for the workers to drain
the outbox and checks that every winner's confirmation arrived exactly once (by Message-ID).
Drops the database unless --keep.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from harness import ROOT, free_port, wait_until_up

SLUG = "bench-burst"
UNSENT = "SELECT count(*) FROM outbox_message WHERE status IN ('queued', 'sending')"
SECRET_KEY = secrets.token_hex(32)
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"'
)


def create_database(pg: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"journey_bench_{secrets.token_hex(5)}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(pg).set(database=name).render_as_string(hide_password=False)


def drop_database(pg: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(database_url: str, attempts: int, seats: int) -> tuple[int, list[str]]:
    """Migrate, then load the event and the delegates. Returns the ticket type id and one
    signed session cookie per delegate (as if each had signed in)."""
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from app.auth.models import LoginSession, Organisation, User
    from app.benchmark.models import BenchmarkResponse
    from app.events.models import Event, TicketType, Venue
    from app.extensions import db
    from app.timeutil import utcnow
    from config import DevelopmentConfig

    overrides = {"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url}
    config = type("BenchSeed", (DevelopmentConfig,), overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
        now = utcnow()
        starts = (now + timedelta(days=40)).replace(hour=8, minute=0, second=0, microsecond=0)
        event = Event(
            slug=SLUG, title="Burst conference", status="published", capacity=seats,
            starts_at=starts, ends_at=starts + timedelta(hours=8), requires_benchmark=True,
            venue=Venue(name="Bench Hall", address="1 Load Lane", postcode="NR1 1AA"),
        )  # fmt: skip
        event.ticket_types = [TicketType(name="Delegate", price_pence=0)]
        org = Organisation(name="Burst Manufacturing Ltd", sector="25", size_band="small")
        db.session.add_all([event, org])
        db.session.flush()
        probe = User(email="probe@example.com", name="Probe")
        probe.set_password("not-used-in-the-bench")
        hashed = probe.password_hash  # one scrypt hash for all: the bench never logs in
        rows = [
            {"email": f"delegate{i}@example.com", "name": f"Delegate {i}",
             "password_hash": hashed, "role": "delegate", "organisation_id": org.id,
             "active": True, "created_at": now, "email_verified_at": now}
            for i in range(attempts)
        ]  # fmt: skip
        db.session.execute(insert(User), rows)
        first = db.session.execute(db.select(User.id).order_by(User.id).limit(1)).scalar_one()
        db.session.add(
            BenchmarkResponse(
                public_id=secrets.token_hex(16), organisation_id=org.id, submitted_by_id=first,
                status="submitted", questionnaire_version="1", submitted_at=now,
            )
        )  # fmt: skip
        db.session.commit()
        ids = list(db.session.execute(db.select(User.id).order_by(User.id)).scalars())
        serializer = app.session_interface.get_signing_serializer(app)
        # Every delegate shares the probe's password hash, so one fingerprint serves all.
        fingerprint = probe.password_fingerprint
        # Each delegate is signed in: a server-side login session and its key in the cookie.
        keys = {i: secrets.token_urlsafe(24) for i in ids}
        db.session.execute(
            insert(LoginSession),
            [{"user_id": i, "key_hash": hashlib.sha256(k.encode()).hexdigest(),
              "created_at": now, "expires_at": now + timedelta(days=1)}
             for i, k in keys.items()],
        )  # fmt: skip
        db.session.commit()
        cookies = [serializer.dumps({"_user_id": f"{i}.{fingerprint}.{keys[i]}", "_fresh": True})
                   for i in ids]  # fmt: skip
        ticket_type_id = event.ticket_types[0].id
        db.engine.dispose()
    return ticket_type_id, cookies


def app_env(database_url: str, workdir: Path, redis: str | None) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JOURNEY_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "BASE_URL": "https://journey.example",
        "RATELIMIT_ENABLED": "false",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(workdir / "mail"),
        "JOURNEY_INLINE_WORKER": "false",
        "QUEUE_FILE": str(workdir / "queue.db"),
        "FLASK_APP": "wsgi",
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    return env


def start_worker(env: dict, workdir: Path, n: int, nice: int) -> subprocess.Popen:
    log = open(workdir / f"worker-{n}.log", "w")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        ["nice", "-n", str(nice), sys.executable, "-m", "flask", "worker"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def start_gunicorn(env: dict, port: int, workdir: Path) -> subprocess.Popen:
    env = {
        **env,
        "BIND": f"127.0.0.1:{port}",
        # One worker process each, as `make serve` runs its two web processes: two app
        # servers of two workers each put four busy processes on this machine's two cores,
        # and lost a quarter of the attempts a second to switching between them.
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "1"),
        "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", "4"),
        # Production's setting (gunicorn.conf.py): off; GUNICORN_ACCESSLOG=on keeps one per port.
        "GUNICORN_ACCESSLOG": (
            str(workdir / f"access-{port}.log")
            if os.environ.get("GUNICORN_ACCESSLOG") == "on"
            else "off"
        ),
    }
    log = open(workdir / f"gunicorn-{port}.log", "w")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def attempt(port: int, cookie: str, ticket_type_id: int) -> tuple[int, float, float]:
    """GET the form, then POST it. Returns (POST status, GET seconds, POST seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path = f"/events/{SLUG}/register"
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
    response = conn.getresponse()
    body = response.read().decode()
    t1 = time.perf_counter()
    if response.status != 200:
        return response.status, t1 - t0, 0.0
    set_cookie = response.getheader("Set-Cookie") or ""
    match = re.search(r"session=([^;]+)", set_cookie)
    session_cookie = match.group(1) if match else cookie
    token = next(g for g in CSRF.search(body).groups() if g)
    form = urlencode({"csrf_token": token, "ticket_type": ticket_type_id})
    t2 = time.perf_counter()
    conn.request(
        "POST", path, body=form,
        headers={"Cookie": f"session={session_cookie}",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    response = conn.getresponse()
    response.read()
    t3 = time.perf_counter()
    conn.close()
    return response.status, t1 - t0, t3 - t2


def _message_ids(directory: Path):
    from email import message_from_binary_file, policy

    for path in directory.glob("*.eml"):
        with path.open("rb") as f:
            yield str(message_from_binary_file(f, policy=policy.default)["Message-ID"])


def cpu_seconds(processes: list[subprocess.Popen] | None = None, name: str = "") -> float:
    """User and system CPU so far of these process groups (every process in each group), or
    of the processes called `name` (e.g. postgres: its server on this machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    groups = {p.pid for p in processes or []}
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1]
        fields = fields.split()
        if int(fields[2]) in groups or command == name:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=1, help="`flask worker` processes")
    parser.add_argument("--redis", help="job queue in Redis (a database of its own, emptied)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--worker-nice", type=int, default=10,
        help="CPU priority of the workers (nice), below the web servers they share the cores "
        "with: the answers wait on the CPU, the emails only need to arrive (0: same priority)",
    )  # fmt: skip
    args = parser.parse_args()

    database_url = create_database(args.pg)
    workdir = Path(tempfile.mkdtemp(prefix="journey-burst-"))
    servers: list[subprocess.Popen] = []
    try:
        print(f"database {database_url.rsplit('/', 1)[-1]}; seeding {args.attempts} delegates")
        ticket_type_id, cookies = seed(database_url, args.attempts, args.seats)
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
        env = app_env(database_url, workdir, args.redis)
        ports = [free_port(), free_port()]
        servers = [start_gunicorn(env, port, workdir) for port in ports]
        servers += [start_worker(env, workdir, n, args.worker_nice) for n in range(args.workers)]
        for port in ports:
            wait_until_up(port)
        print(
            f"two gunicorn instances on ports {ports} "
            f"({os.environ.get('WEB_CONCURRENCY', '1')} worker process(es) each), "
            f"{args.workers} worker(s) at nice {args.worker_nice}, queue in "
            f"{'Redis' if args.redis else 'SQLite'}; {args.concurrency} concurrent clients"
        )

        results: list[tuple[int, float, float]] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            try:
                outcome = attempt(ports[i % 2], cookies[i], ticket_type_id)
            except Exception as exc:  # a dropped connection counts as a server error
                outcome = (599, 0.0, 0.0)
                print(f"attempt {i}: {exc!r}", file=sys.stderr)
            with lock:
                results.append(outcome)

        started, client_started = time.perf_counter(), time.process_time()
        database_started = cpu_seconds(name="postgres")
        web_started, worker_started = cpu_seconds(servers[:2]), cpu_seconds(servers[2:])
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(one, range(args.attempts)))
        elapsed = time.perf_counter() - started
        web_cpu = cpu_seconds(servers[:2]) - web_started
        worker_cpu = cpu_seconds(servers[2:]) - worker_started
        client_cpu = time.process_time() - client_started
        database_cpu = cpu_seconds(name="postgres") - database_started

        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as conn:
            seats_taken = conn.execute(
                text("SELECT seats_taken FROM event WHERE slug = :s"), {"s": SLUG}
            ).scalar_one()
            held = conn.execute(
                text("SELECT count(*) FROM registration WHERE holds_seat")
            ).scalar_one()
            statuses = dict(
                conn.execute(
                    text("SELECT status, count(*) FROM registration GROUP BY status")
                ).all()
            )
            emails = conn.execute(text("SELECT count(*) FROM email_log")).scalar_one()
            # The workers drain the outbox: wait until nothing is left to send.
            drain_started = time.perf_counter()
            while time.perf_counter() - drain_started < 600:
                left = conn.execute(text(UNSENT)).scalar_one()
                conn.commit()
                if not left:
                    break
                time.sleep(0.5)
            drained = time.perf_counter() - drain_started
            outbox = dict(
                conn.execute(
                    text("SELECT status, count(*) FROM outbox_message GROUP BY status")
                ).all()
            )
            confirmations = set(
                conn.execute(
                    text("SELECT message_id FROM outbox_message WHERE kind = 'confirmation'")
                ).scalars()
            )
        engine.dispose()
        arrived = Counter(_message_ids(workdir / "mail"))
        twice = sum(1 for n in arrived.values() if n > 1)
        winners_once = sum(1 for m in confirmations if arrived[m] == 1)

        codes = Counter(code for code, _, _ in results)
        posts = [p for code, _, p in results if p]
        gets = [g for _, g, _ in results if g]
        server_errors = sum(n for code, n in codes.items() if code >= 500)
        print()
        print(f"attempts            {len(results)} in {elapsed:.1f} s "
              f"({len(results) / elapsed:.0f} attempts/s, each a GET and a POST)")  # fmt: skip
        print(f"seats               {args.seats}")
        print(f"seats taken         {seats_taken}  (rows holding a seat: {held})")
        print(f"registrations       {statuses}")
        print(f"ticket emails       {emails}")
        print(f"HTTP outcomes       {dict(sorted(codes.items()))}  (302 registered, 409 full)")
        print(f"server errors       {server_errors}")
        print(f"POST latency        p50 {pct(posts, 50):.0f} ms, p99 {pct(posts, 99):.0f} ms, "
              f"mean {statistics.mean(posts) * 1000:.0f} ms")  # fmt: skip
        for code, label in ((302, "registered"), (409, "full")):
            some = [p for c, _, p in results if c == code and p]
            before = [g for c, g, p in results if c == code and p]
            if some:
                print(f"  POST {code} ({label:10}) p50 {pct(some, 50):.0f} ms, "
                      f"p99 {pct(some, 99):.0f} ms, n={len(some)}; their GETs p50 "
                      f"{pct(before, 50):.0f} ms")  # fmt: skip
        print(f"GET form latency    p50 {pct(gets, 50):.0f} ms, p99 {pct(gets, 99):.0f} ms")
        print(f"CPU seconds         web {web_cpu:.1f}, workers {worker_cpu:.1f}, "
              f"clients {client_cpu:.1f}, PostgreSQL {database_cpu:.1f} "
              f"(during the burst: {elapsed:.1f} s x "
              f"{os.cpu_count()} cores)")  # fmt: skip
        print(f"outbox              {outbox}, drained {drained:.1f} s after the burst")
        print(f"delivered           {sum(arrived.values())} files; confirmations delivered once: "
              f"{winners_once} of {len(confirmations)}; any message twice: {twice}")  # fmt: skip
        ok = seats_taken == args.seats == held and server_errors == 0
        ok = ok and winners_once == len(confirmations) == args.seats and twice == 0
        print("RESULT              " + ("PASS" if ok else "FAIL"))
        if not ok:
            print(f"logs in {workdir}")
            raise SystemExit(1)
    finally:
        for server in servers:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if not args.keep:
            drop_database(args.pg, database_url)


if __name__ == "__main__":
    main()
