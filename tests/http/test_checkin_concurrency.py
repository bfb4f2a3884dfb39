"""Several devices scan the same ticket at the same moment, from separate processes:
exactly one admission (DESIGN.md rule 5). Runs on SQLite, and on PostgreSQL with
TEST_DATABASE_URL set."""

import uuid

from sqlalchemy import func, select

from app.checkin.models import CheckIn, ScanLog
from app.extensions import db
from tests.factories import login_id, make_event
from tests.factories_checkin import make_door_staff, make_registration
from tests.processes import process_context

PROCESSES = 8


def _scan_worker(database_url, login_id, slug, code, barrier, results):
    from app import create_app
    from tests.conftest import _config

    app = create_app(_config(database_url))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    # Warm up (imports, connection pool, the same code path) before the race starts.
    client.post(
        f"/api/checkin/{slug}/scan",
        json={"code": "JRN1-WARMUPWARMUPWARMUP", "session_id": None, "nonce": str(uuid.uuid4())},
    )
    barrier.wait(timeout=60)
    response = client.post(
        f"/api/checkin/{slug}/scan",
        json={"code": code, "session_id": None, "nonce": str(uuid.uuid4())},
    )
    results.put((response.status_code, response.get_json()["result"]))


def test_simultaneous_scans_admit_once(app, database_url):
    event = make_event(slug="storm")
    staff = [make_door_staff(event) for _ in range(4)]
    reg = make_registration(event)
    db.session.commit()

    ctx = process_context()
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    login_ids = [login_id(s) for s in staff]
    procs = [
        ctx.Process(
            target=_scan_worker,
            args=(database_url, login_ids[i % 4], "storm", reg.ticket_secret, barrier, results),
        )
        for i in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)

    assert sorted(outcomes) == [(200, "already_checked_in")] * (PROCESSES - 1) + [(200, "ok")]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
    logged = db.session.execute(
        select(ScanLog.result, func.count()).group_by(ScanLog.result).order_by(ScanLog.result)
    ).all()
    assert logged == [("already_checked_in", PROCESSES - 1), ("ok", 1), ("unknown_code", PROCESSES)]
