"""Real processes for the race tests, started cheaply.

Each racing process needs its own interpreter state and database connections, but importing the
app in every one of them (as "spawn" does) costs seconds per process on a small machine. A
forkserver imports the app once; each racer then forks from it, clean of the test's connections.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver

_PRELOAD = ["app", "config", "app.registration.services", "app.checkin.services"]


def process_context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _forget_the_parents_forkserver() -> None:
    """A process forked from one that had started the forkserver (mutation testing forks one per
    mutant) cannot use that server, which is not its child, and would run its racers with the
    parent's code and environment: start a fresh server in the child when needed."""
    server = forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
    server._forkserver_address = server._forkserver_alive_fd = server._forkserver_pid = None


os.register_at_fork(after_in_child=_forget_the_parents_forkserver)
