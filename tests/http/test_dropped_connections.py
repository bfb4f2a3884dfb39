"""A connection the database dropped (a restart, a failover) never fails a request: pages get
pinged connections (app/dbping.py); the door's scan, which skips the ping, reads again on a
fresh connection (app/checkin/fastscan.py). PostgreSQL only: SQLite has no server to lose."""

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from app.checkin.models import ScanLog
from app.extensions import db
from tests.factories import make_event, make_user
from tests.factories_checkin import make_door_staff, make_registration


@pytest.fixture
def door(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs a database server that can drop connections")
    event = make_event(slug="conf")
    staff = make_door_staff(event)
    reg = make_registration(event, make_user())
    db.session.commit()
    return {"staff": staff, "secret": reg.ticket_secret}


def _drop_pooled_connections() -> int:
    """Terminate every server process of the test database but this one's, as a restart
    would; returns how many there were."""
    db.session.remove()
    admin = create_engine(db.engine.url, poolclass=NullPool)
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    return dropped


def _scan(client, code):
    return client.post("/api/checkin/conf/scan", json={"code": code, "nonce": str(uuid.uuid4())})


def test_a_scan_on_a_dropped_connection_reads_again_on_a_fresh_one(client, login, door):
    login(door["staff"])
    assert _scan(client, door["secret"]).get_json()["result"] == "ok"
    for _ in range(2):  # the connection the last scan used, and then a fresh one
        assert _drop_pooled_connections() >= 1
        again = _scan(client, door["secret"])
        assert again.status_code == 200
        assert again.get_json()["result"] == "already_checked_in"
    assert db.session.execute(select(func.count()).select_from(ScanLog)).scalar_one() == 3


def test_pages_get_a_pinged_connection_after_a_drop(client, login, door):
    login(door["staff"])
    assert client.get("/checkin/conf").status_code == 200
    assert _drop_pooled_connections() >= 1
    assert client.get("/checkin/conf").status_code == 200
    assert client.get("/healthz").status_code == 200


def client_scan_once(app, door) -> bool:
    """One scan, so that the pool holds a connection to drop."""
    from tests.factories import login_id

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(door["staff"])
    return _scan(client, door["secret"]).status_code == 200


def test_a_dropped_connection_under_a_write_is_not_retried(app, door):
    """Only a read is tried again: the log's INSERT may have reached the server."""
    from app.checkin import fastscan

    assert client_scan_once(app, door)
    with app.test_request_context("/api/checkin/conf/scan", method="POST", json={}):
        fastscan.scan_connection()  # unpinged, nothing run on it yet
        _drop_pooled_connections()
        with pytest.raises(Exception) as failure:
            fastscan.scan_first(
                fastscan._LOG.values(), {k: None for k in fastscan._LOG_KEYS}, fastscan._LOG_KEYS
            )
        assert "terminat" in str(failure.value) or "closed" in str(failure.value)
