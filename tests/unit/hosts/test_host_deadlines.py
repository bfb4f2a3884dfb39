"""Undecided applications: the hosts are reminded once, HOST_REMINDER_HOURS before the visit,
and what is still undecided at HOST_DECISION_DEADLINE_HOURS before it is released (seat to
the waiting list, a courteous email) by the scheduled work, idempotently, as is what still
waits when the visit begins (without offering the seat on); a release racing
the host's approval leaves one outcome and consistent seats. SQLite, and PostgreSQL when
TEST_DATABASE_URL is set."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.events.models import Event, EventKind
from app.extensions import db
from app.hosts import deadlines
from app.hosts.models import HostDecision, HostMember, VisitSettings
from app.hosts.services import approve_visitor
from app.registration import services as registrations
from app.registration.commands import run_scheduled_work
from app.registration.models import EmailLog, Registration, RegistrationLog
from tests.factories import make_event, make_organisation, make_user
from tests.unit.hosts import hosts_workers

HOUR = timedelta(hours=1)


@pytest.fixture
def visit(app):
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", name="Hal Host", organisation=org)
    former = make_user(email="fay@elsewhere.example", organisation=make_organisation("Other"))
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    # Marked as a host, then left the business: not reminded.
    db.session.add(HostMember(user_id=former.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id, capacity=2,
                       requires_benchmark=False, title="Visit Loddon Laser")  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    db.session.flush()
    ticket = event.ticket_types[0]
    undecided = registrations.register_delegate(make_user(email="una@example.com"), event, ticket)
    approved = registrations.register_delegate(make_user(email="abe@example.com"), event, ticket)
    approve_visitor(host, approved)
    waiting = registrations.register_delegate(
        make_user(email="wes@example.com"), event, ticket, join_waitlist=True
    )
    db.session.commit()
    return event, host, undecided, approved, waiting


def _status(registration) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).status


def _sent(kind: str) -> list[str]:
    return list(db.session.execute(select(EmailLog.to).where(EmailLog.kind == kind)).scalars())


def test_the_hosts_are_reminded_once_48_hours_before(visit, outbox):
    event, host, undecided, *_ = visit
    outbox.clear()
    assert deadlines.run(event.starts_at - 49 * HOUR).reminded_visits == 0
    summary = deadlines.run(event.starts_at - 47 * HOUR)
    db.session.commit()
    assert (summary.reminded_visits, summary.hosts_emailed, summary.released) == (1, 1, 0)
    [message] = [m for m in outbox if m["To"] == "hal@loddon.example"]
    assert message["Subject"] == "1 application awaits your decision: Visit Loddon Laser"
    body = message.get_body(("plain",)).get_content()
    assert "/host/" + event.slug in body and "released" in body
    assert db.session.get(VisitSettings, event.id).host_reminded_at is not None
    # Once: later rounds send nothing more.
    assert deadlines.run(event.starts_at - 30 * HOUR).reminded_visits == 0
    db.session.commit()
    assert _sent("host_undecided_reminder") == ["hal@loddon.example"]
    assert _status(undecided) == "awaiting_host"


def test_no_reminder_when_everything_is_decided(visit):
    event, host, undecided, *_ = visit
    approve_visitor(host, undecided)
    db.session.commit()
    assert deadlines.run(event.starts_at - 47 * HOUR).reminded_visits == 0
    assert _sent("host_undecided_reminder") == []


def test_undecided_applications_are_released_at_the_deadline(visit, outbox):
    event, host, undecided, approved, waiting = visit
    assert deadlines.release_undecided(event.starts_at - 25 * HOUR) == 0
    outbox.clear()
    assert deadlines.release_undecided(event.starts_at - 23 * HOUR) == 1
    db.session.commit()
    assert _status(undecided) == "cancelled" and _status(approved) == "confirmed"
    released = db.session.get(Registration, undecided.id)
    assert not released.holds_seat and released.cancelled_by_id is None
    # The delegate is told kindly, through the outbox; the seat went to the waiting list.
    [message] = [m for m in outbox if m["To"] == "una@example.com"]
    assert message["Subject"] == "About your application to visit Visit Loddon Laser"
    assert "no reflection on you" in message.get_body(("plain",)).get_content()
    assert _status(waiting) == "awaiting_host"
    assert db.session.get(Event, event.id).seats_taken == 2
    # Idempotent; and one who began waiting after the deadline is left for the host to decide
    # (the log, stamped by the real clock, says when: here, when the release ran).
    db.session.execute(
        update(RegistrationLog)
        .where(RegistrationLog.registration_id == waiting.id)
        .values(created_at=event.starts_at - 23 * HOUR)
    )
    assert deadlines.release_undecided(event.starts_at - 22 * HOUR) == 0
    db.session.commit()
    assert _status(waiting) == "awaiting_host"
    assert _sent("host_undecided") == ["una@example.com"]


def test_one_promoted_after_the_deadline_and_still_undecided_is_released_at_the_start(
    visit, outbox
):
    event, host, undecided, approved, waiting = visit
    later = registrations.register_delegate(
        make_user(email="wyn@example.com"), event, event.ticket_types[0], join_waitlist=True
    )
    assert deadlines.run(event.starts_at - 23 * HOUR).released == 1
    # Wes was promoted when Una's place was released, so began to wait after the deadline.
    db.session.execute(
        update(RegistrationLog)
        .where(RegistrationLog.registration_id == waiting.id)
        .values(created_at=event.starts_at - 23 * HOUR)
    )
    db.session.commit()
    assert deadlines.run(event.starts_at - HOUR).released == 0
    assert deadlines.release_at_start(event.starts_at - timedelta(minutes=1)) == 0
    assert _status(waiting) == "awaiting_host"
    outbox.clear()

    summary = deadlines.run(event.starts_at)
    db.session.commit()
    assert (summary.lapsed, summary.released) == (1, 0)
    released = db.session.get(Registration, waiting.id)
    assert released.status == "cancelled" and not released.holds_seat
    assert released.cancelled_by_id is None and released.ticket_secret is None
    assert _status(approved) == "confirmed"
    # The visit has begun: the seat is not offered on; Wyn stays on the waiting list.
    assert _status(later) == "waitlisted"
    assert db.session.get(Event, event.id).seats_taken == 1
    [message] = outbox
    assert message["To"] == "wes@example.com"
    assert message["Subject"] == "About your application to visit Visit Loddon Laser"
    body = message.get_body(("plain",)).get_content()
    assert "before the visit began" in body and "no reflection on you" in body
    log = db.session.execute(
        select(RegistrationLog).where(
            RegistrationLog.registration_id == waiting.id, RegistrationLog.action == "cancelled"
        )
    ).scalar_one()
    assert log.detail == "the host had not decided when the visit began"

    # Idempotent: later rounds release and send nothing more.
    assert deadlines.run(event.starts_at).lapsed == 0
    assert deadlines.run(event.starts_at + HOUR).lapsed == 0
    db.session.commit()
    assert _sent("host_lapsed") == ["wes@example.com"]
    assert _status(later) == "waitlisted"


def test_the_scheduled_work_releases_at_the_start(visit, monkeypatch):
    event, _, undecided, *_ = visit
    monkeypatch.setattr(deadlines, "utcnow", lambda: event.starts_at)
    lines = run_scheduled_work()
    assert "Released 1 site-visit applications undecided at the start." in lines
    assert _status(undecided) == "cancelled"
    assert _sent("host_lapsed") == ["una@example.com"]


def test_a_visit_not_yet_begun_or_a_decided_application_is_left_alone(visit):
    event, host, undecided, approved, waiting = visit
    assert deadlines.release_at_start(event.starts_at - timedelta(seconds=1)) == 0
    approve_visitor(host, undecided)
    db.session.commit()
    assert deadlines.release_at_start(event.starts_at + HOUR) == 0
    assert (_status(undecided), _status(approved)) == ("confirmed", "confirmed")
    assert _sent("host_lapsed") == []


@pytest.mark.config(HOST_DECISION_DEADLINE_HOURS=72)
def test_the_deadline_is_configurable(visit):
    event, _, undecided, *_ = visit
    assert deadlines.release_undecided(event.starts_at - 73 * HOUR) == 0
    assert deadlines.release_undecided(event.starts_at - 71 * HOUR) == 1
    assert _status(undecided) == "cancelled"


def test_the_scheduled_work_runs_the_host_deadlines(visit, monkeypatch):
    event, _, undecided, *_ = visit
    monkeypatch.setattr(deadlines, "utcnow", lambda: event.starts_at - 23 * HOUR)
    lines = run_scheduled_work()
    assert "Released 1 site-visit applications left undecided." in lines
    assert _status(undecided) == "cancelled"


PROCESSES = 8
PAIRS = 12


def test_concurrent_release_and_approval_leave_one_outcome(app, database_url):
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       capacity=PAIRS, requires_benchmark=False)  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    db.session.flush()
    at = (event.starts_at - HOUR).isoformat()
    jobs = []
    for _ in range(PAIRS):
        r = registrations.register_delegate(make_user(), event, event.ticket_types[0])
        jobs += [("approve", r.id, host.id), ("release", None, at)]
    event_id = event.id
    db.session.commit()

    outcomes = hosts_workers.race(database_url, jobs, PROCESSES)
    db.session.expire_all()

    assert [d for _, kind, d in outcomes if kind == "error"] == []
    rows = db.session.execute(select(Registration).where(Registration.event_id == event_id))
    rows = rows.scalars().all()
    by_status = Counter(r.status for r in rows)
    assert set(by_status) <= {"confirmed", "cancelled"} and sum(by_status.values()) == PAIRS
    # An approved visitor has a decision and a seat; a released one neither.
    approved = set(db.session.execute(select(HostDecision.registration_id)).scalars())
    assert approved == {r.id for r in rows if r.status == "confirmed"}
    assert {r.id for r in rows if r.holds_seat} == approved
    assert db.session.get(Event, event_id).seats_taken == len(approved)
    # Released once each, however many rounds raced: one log entry and one email apiece.
    logged = Counter(
        db.session.execute(
            select(RegistrationLog.registration_id).where(RegistrationLog.action == "cancelled")
        ).scalars()
    )
    assert logged == Counter({r.id: 1 for r in rows if r.status == "cancelled"})
    emailed = Counter(
        db.session.execute(
            select(EmailLog.registration_id).where(EmailLog.kind == "host_undecided")
        ).scalars()
    )
    assert emailed == logged


def test_the_host_page_gives_the_deadline(client, login, visit):
    event, host, *_ = visit
    login(host)
    page = client.get(f"/host/{event.slug}").get_data(as_text=True)
    deadline = event.starts_at - 24 * HOUR
    assert f"Please decide before {deadline:%a} {deadline.day} {deadline:%b}, " in page
