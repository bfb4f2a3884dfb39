"""The scan API's door scans on PostgreSQL: a re-scan in two statements and no transaction.

A scan that admits nobody is one read — the sign-in, the actor, the event, the actor's
assignment and the ticket — and the scan log's INSERT … ON CONFLICT. Each stands alone, so
they run on a connection of the request's own in autocommit (no BEGIN and COMMIT round
trips), through the driver, with no ORM session. The answers and guarantees are
`redeem_ticket`'s, whose judging this shares (app.checkin.services):

- sign-in: the user loader's read (read_signed_in) yields a SignedInActor, checked as a User
  is (live and unexpired sign-in, password fingerprint, active account); with a well-formed
  door scan it also reads the event and the ticket, kept for the view, which runs only once
  Flask-Login (session protection included) and the CSRF check have let the request in;
- access: organisers, door staff assigned to the event, a site visit's hosts (check_scan_access);
- an admission (a ticket's first scan at the door) goes through the ORM session in one
  transaction, as before: the admission and its log row commit together, webhooks see it, and
  the unique (registration, point) pair still decides every race;
- any other answer writes only its log row; a replayed nonce writes nothing and gets the first
  answer (NonceReplay).

Scans at a session or by registration (name search), and other databases, take the ORM path.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import datetime
from typing import NamedTuple

import psycopg
from flask import g, request
from sqlalchemy import bindparam, select, true
from sqlalchemy.engine import Connection

from app.auth.models import User
from app.auth.sessions import LIVE_ACTOR
from app.checkin.errors import NonceReplay
from app.checkin.lookup import ticket_lookup
from app.checkin.models import ScanLog
from app.checkin.scan_event import ASSIGNED, EVENT_COLUMNS, check_scan_access
from app.checkin.services import (
    DOOR,
    DOOR_POINT,
    MAX_CODE_LENGTH,
    ScanResult,
    admit,
    is_ticket_code,
    judge_scan,
    log_scan_or_replay,
    normalise_code,
    scan_log_values,
)
from app.checkin.writes import scan_log_insert
from app.dbping import is_disconnect, unpinged_checkout
from app.events.models import Event
from app.extensions import db
from app.timeutil import utcnow

_CONNECTION = "scan_connection"  # its key in flask.g
_UNTRIED = "scan_connection_untried"  # in flask.g while no statement has run on it


class ScanEvent(NamedTuple):
    id: int
    status: str
    timezone: str
    kind: str
    host_organisation_id: int | None


# One row whatever the code: the event's columns, the actor's assignment, then the ticket
# lookup's columns (NULL when no ticket has the code).
_TICKET = ticket_lookup(by_code=True, bookable=False).subquery()
_READ = (
    select(*EVENT_COLUMNS, ASSIGNED, *_TICKET.c)
    .select_from(Event)
    .outerjoin(_TICKET, true())
    .where(Event.slug == bindparam("slug"))
)
_TICKET_AT = len(EVENT_COLUMNS) + 1  # where the ticket's columns start in a row
# The same columns after the actor's, in the user loader's read (read_signed_in).
_SIGNED_IN_READ = (
    LIVE_ACTOR.add_columns(*EVENT_COLUMNS, ASSIGNED, *_TICKET.c)
    .outerjoin_from(User, Event, Event.slug == bindparam("slug"))
    .outerjoin_from(User, _TICKET, true())
)
_ACTOR_COLUMNS = len(LIVE_ACTOR.selected_columns)
_PREFETCHED = "scan_read"  # its key in flask.g: (the read's parameters, its row)
_LOG = scan_log_insert("postgresql")
_LOG_KEYS = ("event_id", "session_id", "staff_id", "registration_id", "code", "result", "nonce",
             "response", "device", "created_at")  # fmt: skip
_FIRST_ANSWER = select(ScanLog.response).where(
    ScanLog.staff_id == bindparam("staff_id"), ScanLog.nonce == bindparam("nonce")
)


def fast_path() -> bool:
    return db.engine.dialect.name == "postgresql"


def good_code(code) -> bool:
    return isinstance(code, str) and 0 < len(code) <= MAX_CODE_LENGTH


def good_nonce(nonce) -> bool:
    return isinstance(nonce, str) and 8 <= len(nonce) <= 64


def is_door_scan(body) -> bool:
    """A well-formed scan of a ticket code at the event door: what this module takes."""
    return (
        isinstance(body, dict)
        and body.get("session_id") is None
        and body.get("registration_id") is None
        and good_code(body.get("code"))
        and good_nonce(body.get("nonce"))
    )


def _read_params(slug: str, actor_id: int, code: str) -> dict:
    return {
        "slug": slug,
        "user_id": actor_id,
        "code": code if is_ticket_code(code) else None,  # NULL matches no ticket
        "point_key": DOOR,
    }


def scan_connection(pinged: bool = False) -> Connection:
    """The scan API's connection: on PostgreSQL one of its own in autocommit, kept for the
    request (release_scan_connection gives it back); elsewhere the ORM session's. Not pinged
    at checkout unless `pinged`: scan_first's first read is the ping."""
    connection = g.get(_CONNECTION)
    if connection is None:
        if not fast_path():
            return db.session.connection()
        with nullcontext() if pinged else unpinged_checkout():
            connection = db.engine.connect()
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        setattr(g, _CONNECTION, connection)
        setattr(g, _UNTRIED, not pinged)
    return connection


def release_scan_connection(exc: BaseException | None = None) -> None:
    g.pop(_UNTRIED, None)
    connection = g.pop(_CONNECTION, None)
    if connection is not None:
        connection.close()


_SQL: dict = {}  # Core statement → its SQL for this process's PostgreSQL driver


def scan_first(statement, params: dict, column_keys: tuple[str, ...] | None = None):
    """The first row of a Core `statement` on the scan's connection. On PostgreSQL straight
    through the driver, compiled once: SQLAlchemy's execution layer cost about three times the
    driver's CPU on these one-row statements. Engine listeners see each statement as usual.
    A read that finds the (unpinged) connection dropped is tried once more on a pinged one."""
    connection = scan_connection()
    if not fast_path():
        return connection.execute(statement, params).first()
    sql = _SQL.get(statement)
    if sql is None:
        compiled = statement.compile(dialect=connection.dialect, column_keys=column_keys)
        sql = _SQL[statement] = compiled.string
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, None, sql, params, None, False)
    driver = connection.connection.driver_connection
    try:
        row = driver.execute(sql, params, prepare=True).fetchone()
    except psycopg.Error as exc:
        if not is_disconnect(db.engine, exc, driver):
            raise
        untried = g.get(_UNTRIED, False)
        connection.invalidate()  # never back to the pool
        release_scan_connection()
        if not (untried and statement.is_select):
            raise  # a write may have reached the server: never sent twice
        scan_connection(pinged=True)
        return scan_first(statement, params, column_keys)
    g.pop(_UNTRIED, None)
    return row


def read_signed_in(statement, params: dict):
    """The user loader's read for the scan API (ACTOR_VIEWS): the actor's row; on PostgreSQL,
    for a door scan, with the event's and the ticket's columns after it, kept in g for
    redeem_at_door — one round trip for both."""
    body = request.get_json(silent=True)
    if not (is_door_scan(body) and fast_path()):
        return scan_first(statement, params)
    slug = (request.view_args or {}).get("slug", "")
    read = _read_params(slug, params["user_id"], normalise_code(body["code"]))
    row = scan_first(_SIGNED_IN_READ, {**params, **read})
    if row is not None:
        setattr(g, _PREFETCHED, (read, row[_ACTOR_COLUMNS:]))
    return row


def redeem_at_door(
    slug: str, actor, *, code: str, nonce: str, device: str, now: datetime | None = None
) -> ScanResult:
    """`redeem_ticket` for a ticket code at the door of the event `slug`, with the event's
    access check (CheckinNotFound, CheckinForbidden). An admission is left in the ORM
    session for the caller to commit; anything else is written already."""
    code = normalise_code(code)
    params = _read_params(slug, actor.id, code)
    prefetched = g.pop(_PREFETCHED, None)
    if prefetched is not None and prefetched[0] == params:
        row = prefetched[1]  # read with the sign-in (read_signed_in)
    else:
        row = scan_first(_READ, params)
    if row is not None and row[0] is None:
        row = None  # the sign-in's read found no event with this slug
    event = ScanEvent(*row[: len(EVENT_COLUMNS)]) if row is not None else None
    check_scan_access(actor, event, assigned=row is not None and bool(row[_TICKET_AT - 1]))
    ticket = row[_TICKET_AT:] if row[_TICKET_AT] is not None else None
    now = now or utcnow()
    outcome, reg_id = judge_scan(event, DOOR_POINT, ticket)
    if outcome is not None:  # nothing to admit: the log row is the only write
        values = scan_log_values(event, actor, DOOR_POINT, reg_id, code[:16], outcome, nonce,
                                 device, now)  # fmt: skip
        values["response"] = json.dumps(values["response"])  # the driver takes JSON as text
        if scan_first(_LOG, values, _LOG_KEYS) is None:  # this nonce was logged before
            first = scan_connection().execute(_FIRST_ANSWER, values).scalar_one()
            raise NonceReplay(first)
        return outcome
    # An admission: the ORM session's transaction, so that it and its log row commit (or roll
    # back on a replayed nonce) together, and the webhook hooks see it.
    release_scan_connection()
    outcome = admit(event, actor, reg_id, DOOR_POINT, nonce, device, now, ticket)
    log_scan_or_replay(
        scan_log_values(event, actor, DOOR_POINT, reg_id, code[:16], outcome, nonce, device, now)
    )
    return outcome
