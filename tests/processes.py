"""Real processes for the race tests, started cheaply.

Each racing process needs its own interpreter state and database connections, but importing the
app in every one of them (as "spawn" does) costs seconds per process on a small machine. A
forkserver imports the app once; each racer then forks from it, clean of the test's connections.
"""

from __future__ import annotations

import multiprocessing

_PRELOAD = ["app", "config", "app.registration.services", "app.checkin.services"]


def process_context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx
