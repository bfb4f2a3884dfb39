"""The scan API's door scans on PostgreSQL: a re-scan in three statements and no transaction.

Each statement of a scan that admits nobody stands alone — the sign-in read, one read of the
event, the actor's assignment and the ticket, and the scan log's INSERT … ON CONFLICT — so
they run on a connection of the request's own in autocommit: no BEGIN and COMMIT round trips,
and no ORM session. The answers and guarantees are `redeem_ticket`'s, whose judging this
shares (app.checkin.services):

- sign-in: the user loader reads a SignedInActor on this connection, checked as a User is
  (live and unexpired sign-in, password fingerprint, active account);
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
from datetime import datetime
from typing import NamedTuple

import psycopg
from flask import g
from sqlalchemy import bindparam, select, true
from sqlalchemy.engine import Connection

from app.checkin.errors import NonceReplay
from app.checkin.lookup import ticket_lookup
from app.checkin.models import ScanLog
from app.checkin.scan_event import ASSIGNED, EVENT_COLUMNS, check_scan_access
from app.checkin.services import (
    DOOR,
    DOOR_POINT,
    ScanResult,
    admit,
    is_ticket_code,
    judge_scan,
    log_scan_or_replay,
    normalise_code,
    scan_log_values,
)
from app.checkin.writes import scan_log_insert
from app.events.models import Event
from app.extensions import db
from app.timeutil import utcnow

_CONNECTION = "scan_connection"  # its key in flask.g


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
_LOG = scan_log_insert("postgresql")
_LOG_KEYS = ("event_id", "session_id", "staff_id", "registration_id", "code", "result", "nonce",
             "response", "device", "created_at")  # fmt: skip
_FIRST_ANSWER = select(ScanLog.response).where(
    ScanLog.staff_id == bindparam("staff_id"), ScanLog.nonce == bindparam("nonce")
)


def fast_path() -> bool:
    return db.engine.dialect.name == "postgresql"


def scan_connection() -> Connection:
    """The scan API's connection: on PostgreSQL one of its own in autocommit, kept for the
    request (release_scan_connection gives it back); elsewhere the ORM session's."""
    connection = g.get(_CONNECTION)
    if connection is None:
        if not fast_path():
            return db.session.connection()
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        setattr(g, _CONNECTION, connection)
    return connection


def release_scan_connection(exc: BaseException | None = None) -> None:
    connection = g.pop(_CONNECTION, None)
    if connection is not None:
        connection.close()


_SQL: dict = {}  # Core statement → its SQL for this process's PostgreSQL driver


def scan_first(statement, params: dict, column_keys: tuple[str, ...] | None = None):
    """The first row of a Core `statement` on the scan's connection. On PostgreSQL straight
    through the driver, compiled once: SQLAlchemy's execution layer cost about three times the
    driver's CPU on these one-row statements. Engine listeners see each statement as usual."""
    connection = scan_connection()
    if not fast_path():
        return connection.execute(statement, params).first()
    sql = _SQL.get(statement)
    if sql is None:
        compiled = statement.compile(dialect=connection.dialect, column_keys=column_keys)
        sql = _SQL[statement] = compiled.string
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, None, sql, params, None, False)
    try:
        return connection.connection.driver_connection.execute(sql, params, prepare=True).fetchone()
    except psycopg.OperationalError:
        connection.invalidate()  # a broken connection must not go back to the pool
        raise


def redeem_at_door(
    slug: str, actor, *, code: str, nonce: str, device: str, now: datetime | None = None
) -> ScanResult:
    """`redeem_ticket` for a ticket code at the door of the event `slug`, with the event's
    access check (CheckinNotFound, CheckinForbidden). An admission is left in the ORM
    session for the caller to commit; anything else is written already."""
    code = normalise_code(code)
    params = {
        "slug": slug,
        "user_id": actor.id,
        "code": code if is_ticket_code(code) else None,  # NULL matches no ticket
        "point_key": DOOR,
    }
    row = scan_first(_READ, params)
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
