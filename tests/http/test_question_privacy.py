"""The registration form says truthfully who sees a sensitive answer: access needs go to the
door staff, and on a hosted site visit to the host business's gatehouse list, so the form says
so; other sensitive answers stay with the organisers."""

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from app.events.models import EventKind
from app.extensions import db
from app.questions import services as questions
from app.questions.models import QuestionKind, RegistrationQuestion
from tests.factories import make_event, make_organisation, organiser
from tests.factories_registration import make_delegate

ORGANISERS_ONLY = "only the organisers see this"


def _form(client, login, event) -> str:
    login(make_delegate())
    db.session.commit()
    return client.get(f"/events/{event.slug}/register").get_data(as_text=True)


def test_access_needs_say_the_door_sees_them_and_other_sensitive_answers_stay_private(
    client, login
):
    event = make_event()
    questions.add_preset(organiser(), event, "access")
    db.session.add(
        RegistrationQuestion(
            event_id=event.id,
            label="Medical conditions",
            sensitive=True,
            kind=QuestionKind.LONG_TEXT,
            position=5,
        )  # fmt: skip
    )
    page = _form(client, login, event)
    access = page[page.index("Access needs") :][:400]
    assert "seen by the organisers and the door staff, to provide for it" in access
    assert "host" not in access and ORGANISERS_ONLY not in access
    medical = page[page.index("Medical conditions") :][:300]
    assert ORGANISERS_ONLY in medical
    assert "Only the organisers see this." not in page  # the old help text, now untrue


def test_a_hosted_site_visit_says_its_host_sees_access_needs(client, login):
    host = make_organisation("Loddon Laser Ltd")
    db.session.flush()
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=host.id)
    questions.add_preset(organiser(), event, "access")
    page = _form(client, login, event)
    access = page[page.index("Access needs") :][:400]
    assert "seen by the organisers, the door staff and the host business, to provide for it" in (
        access
    )


def _migration():
    path = Path(__file__).parents[2] / "migrations/versions/0024_access_question_help.py"
    spec = importlib.util.spec_from_file_location("access_question_help", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_rewords_only_the_presets_own_help_text(app):
    migration = _migration()
    event = make_event()
    preset = questions.add_preset(organiser(), event, "access")
    preset.help_text = migration.BEFORE
    own = RegistrationQuestion(event_id=event.id, label="Access", kind=QuestionKind.LONG_TEXT,
                               preset="access", help_text="Tell Pat.", sensitive=True)  # fmt: skip
    db.session.add(own)
    db.session.commit()

    def run(step) -> list[str]:
        with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            step()
        db.session.expire_all()
        return list(
            db.session.execute(
                select(RegistrationQuestion.help_text).order_by(RegistrationQuestion.id)
            ).scalars()
        )

    assert run(migration.upgrade) == [migration.AFTER, "Tell Pat."]
    assert run(migration.downgrade) == [migration.BEFORE, "Tell Pat."]
