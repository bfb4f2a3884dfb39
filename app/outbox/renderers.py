"""Builders for messages the worker composes from a row's payload (name → function).

Packages register theirs with `@renderer("name")`; this module imports nothing of theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

RENDERERS: dict[str, Callable] = {}
# name → function(rows) that loads what a batch of rows needs in a few queries, so that
# building a hundred messages does not cost a query per message.
PREPARERS: dict[str, Callable] = {}


class Unrenderable(Exception):
    """What the message was about is gone (e.g. the registration was erased): never retried."""


def renderer(name: str, prepare: Callable | None = None):
    def register(func: Callable) -> Callable:
        RENDERERS[name] = func
        if prepare is not None:
            PREPARERS[name] = prepare
        return func

    return register


def prepare(rows: list) -> list:
    """Preload for every renderer among `rows`; returns what the preloaders hand back (keep it
    referenced while building, so the loaded objects stay in the session's identity map)."""
    kept = []
    by_renderer: dict[str, list] = {}
    for row in rows:
        if row.renderer in PREPARERS:
            by_renderer.setdefault(row.renderer, []).append(row)
    for name, group in by_renderer.items():
        kept.append(PREPARERS[name](group))
    return kept


def render(name: str, row) -> EmailMessage:
    try:
        build = RENDERERS[name]
    except KeyError:
        raise Unrenderable(f"no renderer called {name!r}") from None
    return build(row)
