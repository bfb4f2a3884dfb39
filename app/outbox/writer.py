"""Writing outbox rows in the caller's transaction, and handing them on after COMMIT.

A row added here is flushed and committed with whatever caused it; a rollback takes it away.
After COMMIT the ids written by that transaction go to the app's dispatcher: the inline
worker (JOURNEY_INLINE_WORKER, delivers them at once from this process) or the job queue.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Select, String, cast, insert, literal
from sqlalchemy import event as sa_event

from app.extensions import db
from app.outbox.models import QUEUED, OutboxMessage
from app.timeutil import utcnow

log = logging.getLogger(__name__)

_WRITTEN = "journey_outbox_written"
DISPATCH = "journey_outbox_dispatch"  # app.extensions key: callable(list[int])


def new_message_id() -> str:
    return make_msgid(domain="journey")


def add(
    message: EmailMessage,
    *,
    kind: str = "message",
    user_id: int | None = None,
    registration_id: int | None = None,
    event_id: int | None = None,
    batch: str | None = None,
) -> OutboxMessage:
    """One message built by the caller, stored whole."""
    if message["Message-ID"] is None:
        message["Message-ID"] = new_message_id()
    row = OutboxMessage(
        status=QUEUED,
        kind=kind,
        to=str(message["To"]),
        subject=str(message["Subject"] or ""),
        message_id=str(message["Message-ID"]),
        raw=message.as_bytes(),
        user_id=user_id,
        registration_id=registration_id,
        event_id=event_id,
        batch=batch,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    return row


def add_deferred(renderer: str, rows: Iterable[dict]) -> list[int]:
    """Messages a worker will build with `renderer` from each row's `payload`: one INSERT for
    any number. Each dict gives kind, to, subject, payload and optionally user_id,
    registration_id, event_id, batch. Returns the new ids."""
    now = utcnow()
    values = [
        {
            "status": QUEUED,
            "renderer": renderer,
            "message_id": new_message_id(),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            "user_id": None,
            "registration_id": None,
            "event_id": None,
            "batch": None,
            **row,
        }
        for row in rows
    ]
    if not values:
        return []
    ids = list(
        db.session.execute(
            insert(OutboxMessage).returning(OutboxMessage.id),
            values,
        ).scalars()
    )
    deliver_after_commit(db.session(), ids)
    return ids


def message_ids_from(key: ColumnElement) -> ColumnElement:
    """A Message-ID per row of an INSERT … SELECT: this call's random part and the row's own
    unique `key` (e.g. the registration id), so each is unique without a per-row parameter."""
    local = uuid.uuid4().hex
    return literal(f"<{local}.") + cast(key, String) + literal("@journey>")


def add_deferred_from(renderer: str, rows: Select, names: list[str]) -> list[int]:
    """Like add_deferred, for one message per row of `rows`, a SELECT whose columns give the
    `names` (kind, to, subject, message_id, payload, and optionally user_id, registration_id,
    event_id, batch): one INSERT … SELECT with no parameter per row, so that thousands of rows
    cost little more than one. Returns the new ids."""
    now = utcnow()
    table = OutboxMessage.__table__
    constants = {"status": QUEUED, "renderer": renderer, "attempts": 0,
                 "next_attempt_at": now, "created_at": now, "updated_at": now}  # fmt: skip
    source = rows.add_columns(
        *(literal(value, table.c[name].type).label(name) for name, value in constants.items())
    )
    ids = list(
        db.session.execute(
            insert(table).from_select([*names, *constants], source).returning(table.c.id)
        ).scalars()
    )
    deliver_after_commit(db.session(), ids)
    return ids


def deliver_after_commit(session, ids: Iterable[int]) -> None:
    session.info.setdefault(_WRITTEN, []).extend(ids)


def _collect(session, flush_context) -> None:
    new = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        deliver_after_commit(session, new)


def _dispatch(session) -> None:
    ids = session.info.pop(_WRITTEN, None)
    if not ids or not has_app_context():
        return
    dispatch: Callable[[list[int]], None] | None = current_app.extensions.get(DISPATCH)
    if dispatch is None:
        return  # no dispatcher (a bare app): the sweep finds them
    try:
        dispatch(ids)
    except Exception:  # the commit stands; the sweep delivers what was not handed on
        log.exception("could not hand %d outbox message(s) to delivery", len(ids))


def _forget(session, previous_transaction=None) -> None:
    if previous_transaction is not None and previous_transaction.nested:
        return  # a savepoint: rows it took away are simply not found when claimed
    session.info.pop(_WRITTEN, None)


sa_event.listen(db.session, "after_flush", _collect)
sa_event.listen(db.session, "after_commit", _dispatch)
sa_event.listen(db.session, "after_soft_rollback", _forget)
