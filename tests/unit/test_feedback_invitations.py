"""After an event: each confirmed delegate without feedback is asked once, by email."""

from datetime import timedelta

from sqlalchemy import func, insert, select

from app.extensions import db
from app.feedback.invitations import claim, due_invitations, send_feedback_invitations
from app.feedback.models import Feedback, FeedbackInvitation
from app.registration.models import EmailLog, Registration
from app.timeutil import utcnow
from tests.factories import make_event, make_user


def _register(event, name, status="confirmed"):
    user = make_user(name=name)
    db.session.add(Registration(event=event, user=user, ticket_type=event.ticket_types[0],
                                status=status, active_user_id=user.id))  # fmt: skip
    db.session.flush()
    return user


def test_confirmed_delegates_are_asked_once_after_the_event(app, outbox):
    ended = make_event(starts_in=timedelta(days=-1), hours=4, title="Lean day", slug="lean-day")
    ann = _register(ended, "Ann Asked")
    _register(ended, "Wes Waiting", status="waitlisted")
    _register(ended, "Cal Cancelled", status="cancelled")
    done = _register(ended, "Fay Feedback")
    db.session.add(Feedback(registration_id=db.session.execute(
        select(Registration.id).where(Registration.user_id == done.id)).scalar_one(),
        event_id=ended.id, rating=5, recommend=True))  # fmt: skip
    running = make_event()
    running.starts_at, running.ends_at = (
        utcnow() - timedelta(hours=1),
        utcnow() + timedelta(hours=7),
    )
    _register(running, "Rob Running")
    long_ago = make_event(starts_in=timedelta(days=-30), hours=4)
    _register(long_ago, "Old Oliver")
    db.session.commit()

    assert send_feedback_invitations() == 1
    db.session.commit()
    assert [m["To"] for m in outbox] == [ann.email]
    [message] = outbox
    assert message["Subject"] == "How was Lean day? Two minutes of feedback"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Dear Ann Asked,") and "/events/lean-day/feedback" in text
    assert "/events/lean-day/feedback" in message.get_body(("html",)).get_content()
    assert (
        db.session.execute(
            select(func.count()).select_from(EmailLog).where(EmailLog.kind == "feedback_invitation")
        ).scalar_one()
        == 1
    )

    assert send_feedback_invitations() == 0  # the next cron round asks nobody again
    db.session.commit()
    assert len(outbox) == 1


def test_a_second_machine_claiming_the_same_invitation_sends_nothing(app, outbox):
    ended = make_event(starts_in=timedelta(days=-1), hours=4)
    _register(ended, "Ann Asked")
    db.session.commit()
    now = utcnow()
    [registration] = due_invitations(now)
    # The other machine claims it between this machine's query and its claim.
    with db.engine.begin() as other:
        other.execute(
            insert(FeedbackInvitation).values(registration_id=registration.id, sent_at=now)
        )
    assert claim(registration, now) is False
    db.session.commit()
    assert send_feedback_invitations() == 0
    db.session.commit()
    assert outbox == []


def test_the_cron_command_sends_the_invitations(app, runner, outbox):
    ended = make_event(starts_in=timedelta(days=-1), hours=4)
    _register(ended, "Ann Asked")
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert "Asked 1 delegates for feedback on events just over." in result.output
    assert len(outbox) == 1
    again = runner.invoke(args=["expire-holds"])
    assert "for feedback" not in again.output and len(outbox) == 1
