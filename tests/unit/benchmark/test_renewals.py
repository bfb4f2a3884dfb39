"""A month before a business's benchmark runs out, its delegates are reminded once."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.benchmark.models import BenchmarkResponse
from app.benchmark.renewals import claim, due_renewals, send_renewal_reminders
from app.extensions import db
from app.registration.models import EmailLog
from app.timeutil import utcnow
from tests.factories import make_organisation, make_user
from tests.factories_registration import make_benchmark


def _days_ago(days: int):
    return utcnow() - timedelta(days=days)


def test_delegates_are_reminded_once_a_month_before_it_runs_out(app, outbox):
    org = make_organisation("Anglia Widgets Ltd")
    ann = make_user(name="Ann Active", organisation=org)
    make_user(name="Ivy Inactive", organisation=org, active=False)
    make_user(Role.ORGANISER, name="Otto Organiser", organisation=org)
    make_benchmark(org, submitted_at=_days_ago(700), user=ann)
    latest = make_benchmark(org, submitted_at=_days_ago(340), user=ann)
    # Not due: a recent one, one already run out, and one superseded by a later benchmark.
    make_benchmark(make_organisation(), submitted_at=_days_ago(200))
    make_benchmark(make_organisation(), submitted_at=_days_ago(400))
    renewed = make_organisation()
    make_benchmark(renewed, submitted_at=_days_ago(350))
    make_benchmark(renewed, submitted_at=_days_ago(5))
    db.session.commit()

    assert send_renewal_reminders() == 1  # the one active delegate: not Ivy, not Otto
    db.session.commit()
    [message] = outbox
    assert message["To"] == ann.email
    assert message["Subject"] == "Time to renew Anglia Widgets Ltd's productivity benchmark"
    text = message.get_body(("plain",)).get_content()
    assert "counts until" in text and "/benchmark" in text
    assert "since its first benchmark on" in text  # the baseline, 700 days ago
    assert f"/benchmark/results/{latest.public_id}" in text
    logged = db.session.execute(
        select(EmailLog.to).where(EmailLog.kind == "benchmark_renewal")
    ).scalars()
    assert list(logged) == [ann.email]

    assert send_renewal_reminders() == 0  # the next cron round sends nothing again
    db.session.commit()
    assert len(outbox) == 1


def test_two_machines_claiming_the_same_benchmark_send_once(app):
    org = make_organisation()
    make_user(organisation=org)
    response = make_benchmark(org, submitted_at=_days_ago(345))
    db.session.commit()
    due = due_renewals(utcnow())
    assert due == [response.id]
    assert claim(due, utcnow()) == [response.id]
    assert claim(due, utcnow()) == []  # the other machine, a moment later
    db.session.commit()
    assert db.session.get(BenchmarkResponse, response.id).renewal_reminded_at is not None


def test_expire_holds_reports_the_reminders(app, runner, outbox):
    org = make_organisation()
    make_user(organisation=org)
    make_benchmark(org, submitted_at=_days_ago(350))
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert "Reminded 2 delegates that their benchmark runs out soon." in result.output
    again = runner.invoke(args=["expire-holds"])
    assert "Reminded" not in again.output
