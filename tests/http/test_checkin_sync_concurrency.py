"""Two scanners come back online at the same moment with conflicting offline batches (the same
tickets, scanned in opposite orders), and each sends its batch twice: separate processes, in
parallel. Every ticket is admitted once, at the winning scan's time; the losing scan is a
recorded conflict; a repeated batch changes nothing. On PostgreSQL with TEST_DATABASE_URL."""

import multiprocessing
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.checkin.models import CheckIn, CheckInConflict, ScanLog
from app.extensions import db
from app.registration.models import Registration
from app.timeutil import utcnow
from tests.factories import login_id, make_event
from tests.factories_checkin import make_door_staff, make_registration

TICKETS = 15


def _sync_worker(database_url, login_id, slug, batch, barrier, results):
    from app import create_app
    from tests.conftest import _config

    app = create_app(_config(database_url))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    client.get(f"/api/checkin/{slug}/door-list")  # warm up before the race
    barrier.wait(timeout=60)
    response = client.post(f"/api/checkin/{slug}/sync", json=batch)
    body = response.get_json()
    results.put((batch["device"], response.status_code, body.get("results", body)))


def _batch(device, codes, start):
    return {
        "device": device,
        "scans": [
            {
                "code": code,
                "nonce": str(uuid.uuid4()),
                "scanned_at": (start + timedelta(seconds=i)).isoformat() + "Z",
                "session_id": None,
                "offline_result": "ok",
            }
            for i, code in enumerate(codes)
        ],
    }


def test_two_devices_conflicting_batches_in_parallel(app, database_url):
    event = make_event(slug="yard")
    yard, gate = make_door_staff(event), make_door_staff(event)
    regs = [make_registration(event) for _ in range(TICKETS)]
    db.session.commit()
    codes = [r.ticket_secret for r in regs]
    base = utcnow().replace(microsecond=0) - timedelta(hours=1)
    batches = {
        "phone-yard": (login_id(yard), _batch("phone-yard", codes, base)),
        "phone-gate": (login_id(gate), _batch("phone-gate", codes[::-1], base)),
    }

    ctx = multiprocessing.get_context("spawn")
    runs = [*batches.values(), *batches.values()]  # each batch sent twice, all at once
    barrier = ctx.Barrier(len(runs))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_sync_worker, args=(database_url, lid, "yard", b, barrier, results))
        for lid, b in runs
    ]
    for p in procs:
        p.start()
    answers = [results.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(30)

    assert all(status == 200 for _, status, _ in answers), answers
    by_device: dict[str, list] = {}
    for device, _, res in answers:
        # the second sending answers exactly as the first did
        assert by_device.setdefault(device, res) == res
    sent = {d: {s["nonce"]: s for s in b["scans"]} for d, (_, b) in batches.items()}
    winners = {}
    for device, res in by_device.items():
        assert [r["nonce"] for r in res] == list(sent[device])
        for r in res:
            scan = sent[device][r["nonce"]]
            assert r["result"] in ("ok", "already_checked_in")
            if r["result"] == "ok":
                assert scan["code"] not in winners
                winners[scan["code"]] = scan["scanned_at"]
    assert sorted(winners) == sorted(codes)  # every ticket admitted by exactly one device

    db.session.expire_all()
    admitted = dict(
        db.session.execute(
            select(Registration.ticket_secret, CheckIn.checked_in_at).join(
                Registration, Registration.id == CheckIn.registration_id
            )
        ).all()
    )
    assert {c: t.isoformat() + "Z" for c, t in admitted.items()} == winners
    count = lambda m: db.session.execute(select(func.count()).select_from(m)).scalar_one()  # noqa: E731
    assert count(ScanLog) == 2 * TICKETS
    assert count(CheckInConflict) == TICKETS
    standing = db.session.execute(
        select(func.count())
        .select_from(CheckInConflict)
        .where(CheckInConflict.checkin_id.is_not(None))
    ).scalar_one()
    assert standing == TICKETS
