import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.events.models import AgendaSession, Event, Speaker
from app.extensions import db


def _counts():
    return tuple(
        db.session.execute(select(func.count()).select_from(m)).scalar_one()
        for m in (User, Event, AgendaSession, Speaker)
    )


def test_seed_demo_loads_the_programme_and_is_idempotent(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "organiser@example.com" in result.output
    first = _counts()
    # conference, three site visits, a workshop, a past workshop, the innovation centre's past
    # visit, and the outcomes demo's last-year conference and masterclass
    assert first[1] == 9
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    assert conference.status == "published"
    assert len(conference.venue.rooms) == 3
    assert {t.price_pence for t in conference.ticket_types} == {0, 4500}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already loaded" in again.output
    assert _counts() == first


def test_seed_demo_if_empty_skips_a_database_with_events(runner):
    from tests.factories import make_event

    make_event()
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert db.session.execute(select(func.count()).select_from(Event)).scalar_one() == 1


def test_demo_logins_work(runner):
    runner.invoke(args=["seed-demo"])
    for email, password in [
        ("organiser@example.com", "organiser"),
        ("door@example.com", "door"),
        ("delegate@example.com", "delegate"),
    ]:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        assert user.check_password(password)


@pytest.mark.config(JOURNEY_ENV="production")
def test_seed_demo_refuses_to_run_in_production(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 1
    assert "seed-demo refuses to run in production" in result.output
    assert _counts() == (0, 0, 0, 0)


def test_create_user(runner):
    result = runner.invoke(
        args=["create-user", "Boss@Example.com", "--role", "organiser", "--password", "s3cret-pw"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "boss@example.com")).scalar_one()
    assert user.role == "organiser"
    assert user.check_password("s3cret-pw")


def test_create_user_refuses_a_duplicate_and_a_bad_role(runner):
    runner.invoke(args=["create-user", "a@example.com", "--password", "pw-123456"])
    dup = runner.invoke(args=["create-user", "A@example.com", "--password", "pw-123456"])
    assert dup.exit_code != 0
    assert "already exists" in dup.output
    bad = runner.invoke(args=["create-user", "b@example.com", "--role", "king", "--password", "x"])
    assert bad.exit_code != 0
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1
