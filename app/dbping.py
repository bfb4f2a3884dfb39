"""A pooled connection is pinged before use, unless its user checks it by its first statement.

SQLAlchemy's pool_pre_ping sends an empty statement (a round trip) at every checkout, so a
connection the database has dropped (a restart, a failover) is replaced before any request
uses it. This does the same from a checkout listener, with one exception: code inside
`unpinged_checkout()` takes the connection as it is and treats its first statement as the
ping, retrying a read once on a fresh connection if the server has gone (the door's scan,
app/checkin/fastscan.py, which saves a round trip on every scan that way). Connections just
opened are not pinged, as with pool_pre_ping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

_unpinged: ContextVar[bool] = ContextVar("unpinged_checkout", default=False)
_FRESH = "journey_fresh"  # in a pooled connection's info: opened, not yet checked out


@contextmanager
def unpinged_checkout() -> Iterator[None]:
    """Checkouts inside this block skip the ping: the caller must survive a dropped
    connection itself (see is_disconnect)."""
    token = _unpinged.set(True)
    try:
        yield
    finally:
        _unpinged.reset(token)


def is_disconnect(engine: Engine, exc: BaseException, dbapi_connection) -> bool:
    """Whether `exc`, raised by the driver, means the server dropped the connection."""
    return engine.dialect.is_disconnect(exc, dbapi_connection, None)


def ping_on_checkout(engine: Engine) -> None:
    """Ping each pooled connection at checkout (in place of pool_pre_ping), except inside
    unpinged_checkout(); a dropped one is replaced by the pool before anyone uses it."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _opened(dbapi_connection, record) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, proxy) -> None:
        if record.info.pop(_FRESH, False) or _unpinged.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if is_disconnect(engine, exc, dbapi_connection):
                # as pool_pre_ping: this and every older pooled connection are replaced
                raise InvalidatePoolError() from exc
            raise
