"""Code that runs in separate processes for the undo race: each process builds its own app (its
own connections) on the shared test database and undoes the same admission."""

from __future__ import annotations

import traceback


def undo_worker(database_url, event_id, actor_id, checkin_id, now, barrier, results):
    """Undo `checkin_id` and commit; report ("undone", id) or ("refused", message).

    Both processes wait at `barrier` just before their UPDATE of the admission, so each has
    already read it as not undone: only the conditional UPDATE can tell them apart."""
    from sqlalchemy import event as sa_event

    from app import create_app
    from app.auth.models import User
    from app.checkin.services import CheckinError, undo_checkin
    from app.events.models import Event
    from app.extensions import db
    from tests.conftest import _config

    app = create_app(_config(database_url))
    with app.app_context():

        def before_update(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("UPDATE CHECK_IN"):
                barrier.wait(timeout=60)

        sa_event.listen(db.engine, "before_cursor_execute", before_update)
        try:
            event = db.session.get(Event, event_id)
            actor = db.session.get(User, actor_id)
            checkin = undo_checkin(event, actor, checkin_id, now=now)
            db.session.commit()
            results.put(("undone", checkin.id))
        except CheckinError as exc:
            db.session.rollback()
            results.put(("refused", str(exc)))
        except Exception:
            db.session.rollback()
            results.put(("error", traceback.format_exc()))
        finally:
            db.session.remove()
            db.engine.dispose()
