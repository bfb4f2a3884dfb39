"""What the public sees, rendered once per version and kept: the one cache helper.

Pages that visitors who are not signed in all see alike (home, an event, its agenda, the
speakers, the exports and calendar feeds) change only when an organiser changes something or
a seat count moves. `public_version()` names that state (app/events/public_version.py, one
statement); every kept entry's key includes it, so a change makes new keys and old entries
simply age out: nothing is ever invalidated by hand, and nothing stale is served.

Staleness bound: a process reads the version at most once per PUBLIC_VERSION_SECONDS (1 s by
default) and forgets it at each commit of its own, so a change shows on every page of every
process and server within that many seconds, and at once where it was made.

Where entries live:
- `shared()`: whole pages and exports. Redis when REDIS_URL is set (every worker and server
  renders a version once; entries expire after PAGE_CACHE_SECONDS), else an in-process LRU
  of at most PAGE_CACHE_MB (cachetools).
- `local(name)`: many small fragments (agenda items, calendar buttons, loaded parts) that are
  read dozens of times per page, so a network round trip each would cost more than it saves.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.timeutil import utcnow

# Stand-ins for what differs per request in a kept page, filled in when it is served.
CSRF_MARK = "__journey_page_csrf__"
NONCE_MARK = "__journey_page_nonce__"

_log = logging.getLogger(__name__)
clock = time.monotonic  # replaced by tests that step past the staleness bound


class _LocalStore:
    """A thread-safe LRU; `weigh` bounds it by size (bytes) rather than entries."""

    def __init__(self, maxsize: int, weigh: Callable | None = None) -> None:
        self._items = LRUCache(maxsize, getsizeof=weigh)
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def set(self, key, value) -> None:
        # A value larger than the whole cache is not worth keeping.
        with self._lock, contextlib.suppress(ValueError):
            self._items[key] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _RedisStore:
    """Pickled values under hashed keys; a short life, since a new version makes new keys."""

    def __init__(self, url: str, seconds: int, namespace: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._errors = (redis.RedisError, OSError)
        self._seconds = seconds
        self._prefix = f"{namespace}:page:"

    def _key(self, key) -> str:
        return self._prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    # Redis being away costs a render, never a page: the page is built as if nothing was kept.
    def get(self, key):
        try:
            raw = self._redis.get(self._key(key))
        except self._errors as exc:
            _log.warning("page cache: Redis unavailable (%s); rendering", exc)
            return None
        return None if raw is None else pickle.loads(raw)  # noqa: S301 - written by us only

    def set(self, key, value) -> None:
        try:
            self._redis.set(self._key(key), pickle.dumps(value), ex=self._seconds)
        except self._errors as exc:
            _log.warning("page cache: Redis unavailable (%s); not kept", exc)

    def clear(self) -> None:
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


class _State:
    def __init__(self, app: Flask) -> None:
        self.seconds = float(app.config.get("PUBLIC_VERSION_SECONDS", 1.0))
        self.version: str | None = None
        self.read_at = 0.0
        self.lock = threading.Lock()
        self.locals: dict[str, _LocalStore] = {}
        megabytes = int(app.config.get("PAGE_CACHE_MB", 32))
        url = app.config.get("REDIS_URL")
        if url:
            seconds = int(app.config.get("PAGE_CACHE_SECONDS", 3600))
            namespace = app.config.get("PAGE_CACHE_NAMESPACE", "journey")
            self.shared = _RedisStore(url, seconds, namespace)
        else:
            self.shared = _LocalStore(megabytes * 1024 * 1024, weigh=_weight)


def _weight(value) -> int:
    body = value.body if isinstance(value, Page) else value
    return len(body) if isinstance(body, str | bytes) else 4096


def init_app(app: Flask) -> None:
    app.extensions["journey_pagecache"] = _State(app)


def _state() -> _State:
    return current_app.extensions["journey_pagecache"]


def public_version() -> str:
    """The current version of what the public sees; at most one query a second a process."""
    state = _state()
    now = clock()
    version = state.version
    if version is None or now - state.read_at >= state.seconds:
        from app.events.public_version import read_public_version

        version = read_public_version()
        with state.lock:
            state.version, state.read_at = version, now
    return version


def forget_version(app: Flask | None = None) -> None:
    state = (app or current_app).extensions.get("journey_pagecache")
    if state is not None:
        state.version = None


@event.listens_for(Session, "after_commit")
def _forget_after_commit(db_session) -> None:
    # What this process just wrote shows on its next page at once; other processes see it
    # within the staleness bound.
    if has_app_context():
        forget_version()


def shared() -> _LocalStore | _RedisStore:
    return _state().shared


def local(name: str, maxsize: int = 4096) -> _LocalStore:
    state = _state()
    store = state.locals.get(name)
    if store is None:
        store = state.locals.setdefault(name, _LocalStore(maxsize))
    return store


def remember(store, key, build: Callable):
    """The kept value for `key`, or build it, keep it and return it."""
    value = store.get(key)
    if value is None:
        value = build()
        store.set(key, value)
    return value


def clear_all(app: Flask | None = None) -> None:
    state: _State = (app or current_app).extensions["journey_pagecache"]
    state.version = None
    state.shared.clear()
    for store in state.locals.values():
        store.clear()


# --- whole pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    etag: str
    body: str | bytes
    mimetype: str
    valid_until: datetime | None  # naive UTC; a page listing what is upcoming changes then
    headers: tuple[tuple[str, str], ...] = ()


def anonymous() -> bool:
    """Whether this request may be answered from the kept copy: nobody signed in and nothing
    flashed for this visitor (a message belongs to one person)."""
    return not current_user.is_authenticated and "_flashes" not in session


def signed_in():
    """The signed-in user, or None (for a page rendered outside the cache)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def etag_for(key: tuple, version: str, valid_until: datetime | None = None) -> str:
    raw = repr((key, version, valid_until))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def page(
    key: tuple,
    render: Callable[[], str | bytes | tuple],
    mimetype: str = "text/html",
) -> Response:
    """The page at `key` for the current version: a matching If-None-Match answers 304 before
    anything is rendered or queried; else the kept body, or `render()` once for this version.

    `render` returns the body, or (body, valid_until, headers). An HTML body rendered with
    this request's CSRF token and CSP nonce is kept with stand-ins, filled in per request."""
    version = public_version()
    store = shared()
    entry: Page | None = store.get((key, version))
    if entry is not None and entry.valid_until is not None and utcnow() >= entry.valid_until:
        entry = None  # something it lists has ended since
    if entry is None:
        entry = _build(key, version, render, mimetype)
        store.set((key, version), entry)
    if entry.etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(_fill(entry.body), mimetype=entry.mimetype)
        response.headers.extend(entry.headers)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _build(key: tuple, version: str, render: Callable, mimetype: str) -> Page:
    result = render()
    body, valid_until, headers = result if isinstance(result, tuple) else (result, None, ())
    if isinstance(body, str):
        body = _stand_ins(body)
    return Page(etag_for(key, version, valid_until), body, mimetype, valid_until, tuple(headers))


def _stand_ins(html: str) -> str:
    from flask_wtf.csrf import generate_csrf

    if "csrf_token" in g:  # a page that showed a token: keep a stand-in, not this one
        html = html.replace(generate_csrf(), CSRF_MARK)
    if "csp_nonce" in g:
        html = html.replace(g.csp_nonce, NONCE_MARK)
    return html


def _fill(body: str | bytes) -> str | bytes:
    if isinstance(body, bytes):
        return body
    if CSRF_MARK in body:
        from flask_wtf.csrf import generate_csrf

        body = body.replace(CSRF_MARK, generate_csrf())
    if NONCE_MARK in body:
        from app.security import csp_nonce

        body = body.replace(NONCE_MARK, csp_nonce())
    return body
