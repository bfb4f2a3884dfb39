"""gunicorn settings; every value can be overridden from the environment.

The settings Journey refuses in production stop gunicorn before it forks (on_starting), with
the same one-line messages as `flask --app wsgi …`, and a non-zero exit."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from config import _int, startup_problems, web_workers  # noqa: E402

# BIND wins; else HOST and PORT (honcho gives each web process its own PORT; the container
# sets HOST=0.0.0.0 and PORT=8000).
bind = os.environ.get("BIND") or (
    f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '5000'}"
)
workers = web_workers()
# Threads per worker; above 1 gunicorn runs its gthread worker. Chosen by measurement
# (bench/ratios.py's paths, 2 workers, wrk -c16, alternating settings on the 2-core machine):
# sync workers (1 thread) reached under half of what gthread did on every path, since each
# serves one connection at a time and closes it after every answer; 4 threads beat 2 by
# about a fifth on the scan, event page, signed-in agenda and feed 304 (database round trips
# overlap); 8 were no better than 4 and slower on the scan.
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
# Trust X-Forwarded-* only from the proxy in front (set FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log: a path, "-" for stderr, or off ("", "off"). Off by default in production, where
# the proxy in front already logs every request, and because it costs: with it on (to
# /dev/null) the fast paths (kept pages, feed 304, scan) served some 15-35% fewer requests.
_production = os.environ.get("JOURNEY_ENV", "development").strip() == "production"
_accesslog = os.environ.get("GUNICORN_ACCESSLOG", "off" if _production else "-").strip()
accesslog = None if _accesslog.lower() in {"", "off", "none", "false", "0"} else _accesslog
errorlog = "-"

# Recycle each worker after about this many requests (staggered, so they do not all restart
# at once): a slow leak in any library then never grows without bound. Not 1,000: kept public
# pages answer well over 1,000 requests a second, and a worker's restart costs about a second
# of CPU for the imports and drops its kept-alive connections (bench/ratios.py saw 0 req/s on
# a path while both workers restarted).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max(1, max_requests // 10))

# gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl), so a second instance (another port, a blue/green deploy) takes
# over the first one's and removes it on exit. Off unless an instance is given its own path.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
control_socket_disable = not _control_socket


def on_starting(server):
    problems = startup_problems(
        os.environ, os.environ.get("JOURNEY_ENV", "development").strip(), server.cfg.workers
    )
    if problems:
        raise SystemExit("\n".join(f"Journey will not start: {p}" for p in problems))
