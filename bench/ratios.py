"""Benchmark: Journey's hot paths as a share of a bare Flask app on the same gunicorn.

    .venv/bin/python bench/ratios.py [--seconds 10] [--connections 16] [--only scan]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Creates a database of its own on the PostgreSQL server (dropped at the end), migrates it and
loads the demo programme (`seed-demo`), then starts, one after the other and with the
project's gunicorn.conf.py (same workers and threads, rate limits off, access log as
configured, no worker recycling): a bare Flask app answering `ok`, the ceiling; and Journey.
Each path is loaded by the same client — wrk (`apt-get install wrk`) with 2 threads, or the
harness's Python client when wrk is missing — and the script prints req/s, p50, p99, the
ratio to the ceiling, every worker's RSS after the load, the goals beside them, and the load
average, because a ratio is only comparable with ratios measured in the same run on the same
machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from harness import (
    ROOT,
    create_database,
    drop_database,
    free_port,
    load,
    start_gunicorn,
    wait_until_up,
)
from sqlalchemy import create_engine, text

SLUG = "productivity-journey"  # the demo conference
BARE_APP = """
from flask import Flask
app = Flask(__name__)
@app.get("/")
@app.get("/healthz")
def ok():
    return "ok"
"""
# name → (goal ratio or None, p99 goal in ms or None)
GOALS = {
    "scan API (re-scan)": (0.25, 25),
    "event page, anonymous": (0.20, None),
    "agenda, anonymous": (0.15, None),
    "event feed": (0.30, None),
    "feed 304": (0.50, None),
    "agenda, signed in": (0.05, None),
}
RSS_GOAL_MB = 150

WRK_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function request()
  if not BODY then return wrk.format() end
  counter = counter + 1
  local nonce = string.format("%08x-0000-4000-8000-%012x", id, counter)
  return wrk.format(nil, nil, nil, string.format(BODY, nonce))
end
"""


def flask(database_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi",
           "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": "false"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-2000:]}")


class Browser:
    """A kept-alive connection with one cookie jar, enough to sign in through the form."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, **headers) -> tuple:
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response, data

    def csrf(self, path: str) -> str:
        _, page = self.request("GET", path)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def sign_in(self, email: str, password: str) -> None:
        from urllib.parse import urlencode

        form = urlencode({"email": email, "password": password,
                          "csrf_token": self.csrf("/auth/login")})  # fmt: skip
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        response, _ = self.request("POST", "/auth/login", form, **form_type)
        if response.status != 302:
            raise SystemExit(f"signing in {email} answered {response.status}")

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def measure(port: int, case: dict, seconds: int, connections: int) -> dict:
    """One path under load; wrk when installed, else the harness's client."""
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            body = case.get("body")
            script.write(("BODY = " + _lua_string(body) + "\n" if body else "") + WRK_SCRIPT)
            if body:
                script.write(f'wrk.method = "{case["method"]}"\n')
        # a long timeout: on a busy machine a slow answer is a measurement, not an error
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                   "--latency", "-s", script.name]  # fmt: skip
        for name, value in case.get("headers", {}).items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(command + [f"http://127.0.0.1:{port}{case['path']}"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        os.unlink(script.name)
        if "Non-2xx or 3xx" in out or "Socket errors" in out:
            raise SystemExit(f"{case['path']}: wrk saw errors\n{out}")
        try:
            return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                    "p50_ms": _ms(_percentile("50", out)),
                    "p99_ms": _ms(_percentile("99", out))}  # fmt: skip
        except (AttributeError, ValueError) as exc:
            raise SystemExit(f"{case['path']}: could not read wrk's report\n{out}") from exc
    body = case.get("body")
    make = (lambda: (body % uuid.uuid4()).encode()) if body else None
    request = (case["path"], case.get("headers", {}))
    shape = (case["status"], case.get("method", "GET"), make)
    load(port, *request, 4 * connections, connections, *shape)  # warm-up
    return load(port, *request, 250 * seconds, connections, *shape)


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _percentile(which: str, out: str) -> str:
    # Anchored to the Latency Distribution's lines: "+/- Stdev" columns end in "…99%" too.
    return re.search(rf"^\s+{which}%\s+(\S+)", out, re.M).group(1)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def worker_rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        try:
            found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            found = None
        if found:  # not a worker being recycled (max_requests) at this instant
            sizes.append(int(found.group(1)) / 1024)
    return sizes


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(60)  # graceful: requests in flight finish
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def journey_cases(port: int, database_url: str) -> list[dict]:
    """The issue's paths, with a signed-in door person, a signed-in delegate and a ticket
    admitted once already (every later scan is the re-scan the door sees most)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        code = conn.execute(text(
            "SELECT r.ticket_secret FROM registration r JOIN event e ON e.id = r.event_id "
            "WHERE e.slug = :slug AND r.status = 'confirmed' AND r.ticket_secret IS NOT NULL "
            "ORDER BY r.id LIMIT 1"), {"slug": SLUG}).scalar_one()  # fmt: skip
    engine.dispose()
    door = Browser(port)
    door.sign_in("door@example.com", "door")
    token = door.csrf(f"/checkin/{SLUG}")
    scan_headers = {"Content-Type": "application/json", "Cookie": door.cookie,
                    "X-CSRFToken": token}  # fmt: skip
    body = '{"code": "' + code + '", "session_id": null, "nonce": "%s"}'
    csrf_header = {"Content-Type": "application/json", "X-CSRFToken": token}
    scan = f"/api/checkin/{SLUG}/scan"
    first, answer = door.request("POST", scan, body % uuid.uuid4(), **csrf_header)
    if first.status != 200:
        raise SystemExit(f"first scan answered {first.status}: {answer[:200]}")
    delegate = Browser(port)
    delegate.sign_in("delegate@example.com", "delegate")
    feed = f"/events/{SLUG}/calendar.ics"
    anonymous = Browser(port)
    response, _ = anonymous.request("GET", feed)
    etag = response.getheader("ETag")
    return [
        {"name": "scan API (re-scan)", "path": f"/api/checkin/{SLUG}/scan", "method": "POST",
         "body": body, "headers": scan_headers, "status": 200},
        {"name": "event page, anonymous", "path": f"/events/{SLUG}", "status": 200},
        {"name": "agenda, anonymous", "path": f"/events/{SLUG}/agenda", "status": 200},
        {"name": "event feed", "path": feed, "status": 200},
        {"name": "feed 304", "path": feed, "headers": {"If-None-Match": etag}, "status": 304},
        {"name": "agenda, signed in", "path": f"/events/{SLUG}/agenda",
         "headers": {"Cookie": delegate.cookie}, "status": 200},
        {"name": "home, anonymous", "path": "/", "status": 200},
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 4)))
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="measure only the paths whose name contains WORD (repeatable)",
    )
    args = parser.parse_args()
    # No worker recycling during a run (GUNICORN_MAX_REQUESTS=0): a restart landing inside a
    # path's seconds would measure the restart, not the path.
    settings = {"GUNICORN_ACCESSLOG": os.environ.get("GUNICORN_ACCESSLOG", "off"),
                "GUNICORN_MAX_REQUESTS": os.environ.get("GUNICORN_MAX_REQUESTS", "0")}  # fmt: skip

    load_before = os.getloadavg()
    rows: list[tuple[str, dict, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare.py").write_text(BARE_APP)
        port = free_port()
        bare = start_gunicorn("sqlite://", port, args.workers, args.threads, "bare:app",
                              PYTHONPATH=tmp, **settings)  # fmt: skip
        try:
            wait_until_up(port)
            ceiling = measure(port, {"path": "/", "status": 200}, args.seconds, args.connections)
            bare_rss = worker_rss_mb(bare.pid)
        finally:
            stop(bare)

    database_url, name = create_database(args.server)
    server = None
    try:
        flask(database_url, "db", "upgrade")
        flask(database_url, "seed-demo")
        port = free_port()
        server = start_gunicorn(database_url, port, args.workers, args.threads, **settings)
        wait_until_up(port)
        for case in journey_cases(port, database_url):
            if args.only and not any(word in case["name"] for word in args.only):
                continue
            result = measure(port, case, args.seconds, args.connections)
            rows.append((case["name"], result, worker_rss_mb(server.pid)))
    finally:
        if server:
            stop(server)
        drop_database(args.server, name)
    load_after = os.getloadavg()

    client = "wrk -t2" if shutil.which("wrk") else "harness client"
    print(f"gunicorn {args.workers} workers x {args.threads} threads, access log "
          f"{settings['GUNICORN_ACCESSLOG']}, {client}, {args.connections} connections, "
          f"{args.seconds} s a path, PostgreSQL, demo programme")  # fmt: skip
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"ceiling (bare Flask 'ok'): {ceiling['rps']:.0f} req/s, p50 {ceiling['p50_ms']:.1f} ms,"
          f" p99 {ceiling['p99_ms']:.1f} ms, worker RSS "
          f"{', '.join(f'{m:.0f}' for m in bare_rss)} MB")  # fmt: skip
    print(f"{'path':24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  "
          f"{'goal':>10}  {'worker RSS MB':>14}")  # fmt: skip
    for label, r, rss in rows:
        ratio = r["rps"] / ceiling["rps"]
        goal_ratio, goal_p99 = GOALS.get(label, (None, None))
        goal = ""
        if goal_ratio:
            goal = f"≥{goal_ratio:.2f}" + (f", p99<{goal_p99}" if goal_p99 else "")
            met = ratio >= goal_ratio and (not goal_p99 or r["p99_ms"] < goal_p99)
            goal += " ok" if met else " no"
        print(f"{label:24} {r['rps']:8.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {ratio:6.3f}  "
              f"{goal:>10}  {'/'.join(f'{m:.0f}' for m in rss):>14}")  # fmt: skip
    worst = max((max(rss) for _, _, rss in rows), default=0)
    print(f"largest worker RSS after the load: {worst:.0f} MB (goal < {RSS_GOAL_MB} MB: "
          f"{'ok' if worst < RSS_GOAL_MB else 'no'})")  # fmt: skip


if __name__ == "__main__":
    main()
