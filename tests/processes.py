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


def race(target, database_url: str, jobs: list, processes: int) -> list:
    """Share `jobs` among `processes` real processes running `target(database_url, jobs,
    barrier, results)`, started together behind a barrier; every outcome each put on
    `results`, once all have exited cleanly."""
    ctx = process_context()
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(database_url, jobs[i::processes], barrier, results))
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=240) for _ in jobs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return outcomes


def _forget_the_parents_forkserver() -> None:
    """A process forked from one that had started the forkserver (mutation testing forks one per
    mutant) cannot use that server, which is not its child, and would run its racers with the
    parent's code and environment: start a fresh server in the child when needed."""
    server = forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
    server._forkserver_address = server._forkserver_alive_fd = server._forkserver_pid = None


os.register_at_fork(after_in_child=_forget_the_parents_forkserver)
