"""The scan's writes: inserts that a unique key may refuse (admissions, the scan log)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.checkin.models import ScanLog
from app.extensions import db


def insert_ignoring_conflict(model, values: dict, conflict_columns: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id → the new id, or None on a conflict."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = model.__table__  # Core insert: the ORM adds nothing here but time
        stmt = (
            insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=conflict_columns)
            .returning(table.c.id)
        )
        return db.session.execute(stmt).scalar_one_or_none()
    try:  # other databases: a savepoint around a plain insert
        with db.session.begin_nested():
            return db.session.execute(
                model.__table__.insert().values(**values)
            ).inserted_primary_key[0]
    except IntegrityError:
        return None


_SCAN_LOG_INSERTS: dict[str, object] = {}


def scan_log_insert(dialect: str):
    """INSERT … ON CONFLICT (staff, nonce) DO NOTHING RETURNING id for the scan log, built once
    per dialect and given its values as parameters: composing an INSERT with values per scan
    cost more CPU than running it."""
    stmt = _SCAN_LOG_INSERTS.get(dialect)
    if stmt is None:
        table = ScanLog.__table__
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = _SCAN_LOG_INSERTS[dialect] = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["staff_id", "nonce"])
            .returning(table.c.id)
        )
    return stmt


def log_scan(values: dict, connection=None) -> int | None:
    """The scan log's row, unless this staff member's nonce is already logged → its id or None.
    On `connection` if given (the scan API's own), else on the ORM session's."""
    dialect = (connection or db.session.get_bind()).dialect.name
    if dialect not in ("postgresql", "sqlite"):
        return insert_ignoring_conflict(ScanLog, values, ["staff_id", "nonce"])
    # On a connection, not through the ORM: nothing pending needs flushing before a log row.
    run = (connection or db.session.connection()).execute
    return run(scan_log_insert(dialect), values).scalar_one_or_none()
