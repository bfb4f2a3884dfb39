"""Code that runs in separate processes for the host race tests (see registration_workers)."""

from __future__ import annotations

import traceback

from tests.unit.registration.registration_workers import _app


def worker(database_url, jobs, barrier, results):
    """Run ("decline" | "cancel" | "approve", registration_id, actor_id) and ("release", None,
    iso time) jobs after the barrier; report (job, "ok" | "refused" | "error", detail)."""
    app = _app(database_url)
    from datetime import datetime

    from app.auth.models import User
    from app.extensions import db
    from app.hosts.deadlines import release_undecided
    from app.hosts.services import HostError, approve_visitor, decline_visitor
    from app.registration.models import Registration
    from app.registration.services import RegistrationError, cancel_registration

    with app.app_context():
        db.session.execute(db.select(Registration.id).limit(1)).all()
        db.session.rollback()
        barrier.wait()
        for kind, registration_id, actor_id in jobs:
            try:
                if kind == "release":
                    released = release_undecided(datetime.fromisoformat(actor_id))
                    db.session.commit()
                    results.put((kind, "ok", released))
                    continue
                actor = db.session.get(User, actor_id)
                registration = db.session.get(Registration, registration_id)
                if kind == "approve":
                    approve_visitor(actor, registration)
                elif kind == "decline":
                    decline_visitor(actor, registration, "no room")
                else:
                    cancel_registration(registration, actor)
                db.session.commit()
                results.put((kind, "ok", registration_id))
            except (HostError, RegistrationError) as exc:
                db.session.rollback()
                results.put((kind, "refused", str(exc)))
            except Exception:
                db.session.rollback()
                results.put((kind, "error", traceback.format_exc()))
        db.engine.dispose()


def race(database_url, jobs, processes):
    """Share `jobs` among `processes` real processes that start together behind a barrier;
    every job's (job, kind, detail) outcome, once all have exited cleanly."""
    from tests.processes import race as race_processes

    return race_processes(worker, database_url, jobs, processes)
