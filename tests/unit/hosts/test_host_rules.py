"""Host approval rules, with a real race: a host's decline and the delegate's own cancellation
of the same application at the same moment leave one ending and the seats consistent. Runs on
SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from collections import Counter

from sqlalchemy import select

from app.events.models import Event, EventKind
from app.extensions import db
from app.hosts.models import HostDecision, HostMember, VisitSettings
from app.hosts.services import approve_visitor
from app.registration import services as registrations
from app.registration.models import Registration
from tests.factories import make_event, make_organisation, make_user
from tests.unit.hosts import hosts_workers

PROCESSES = 8
PAIRS = 12


def _visit(capacity: int):
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id, capacity=capacity,
                       requires_benchmark=False)  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    db.session.flush()
    return event, host


def test_a_waitlisted_delegate_promoted_waits_for_the_host_and_approval_passes_other_gates(app):
    event, host = _visit(capacity=1)
    first = registrations.register_delegate(make_user(), event, event.ticket_types[0])
    second = registrations.register_delegate(
        make_user(), event, event.ticket_types[0], join_waitlist=True
    )
    assert (first.status, second.status) == ("awaiting_host", "waitlisted")
    registrations.cancel_registration(first, first.user)
    db.session.refresh(second)
    assert second.status == "awaiting_host" and second.holds_seat
    approve_visitor(host, second)
    assert second.status == "confirmed" and second.ticket_secret


def test_a_visit_without_approval_confirms_at_once(app):
    event, host = _visit(capacity=5)
    db.session.get(VisitSettings, event.id).requires_approval = False
    r = registrations.register_delegate(make_user(), event, event.ticket_types[0])
    assert r.status == "confirmed"


def test_a_decline_racing_a_cancellation_leaves_one_ending_and_consistent_seats(app, database_url):
    event, host = _visit(capacity=PAIRS + 4)
    jobs = []
    for _ in range(PAIRS):
        user = make_user()
        r = registrations.register_delegate(user, event, event.ticket_types[0])
        assert r.status == "awaiting_host"
        jobs += [("decline", r.id, host.id), ("cancel", r.id, user.id)]
    event_id, host_id = event.id, host.id
    db.session.commit()

    outcomes = hosts_workers.race(database_url, jobs, PROCESSES)
    db.session.expire_all()

    assert [d for _, kind, d in outcomes if kind == "error"] == []
    # Each pair ended its registration once: a cancellation that lost the race finds it ended
    # and changes nothing; a decline that lost it is refused and leaves no decision behind.
    ended = (
        db.session.execute(select(Registration).where(Registration.event_id == event_id))
        .scalars()
        .all()
    )
    assert len(ended) == PAIRS
    assert {r.status for r in ended} == {"cancelled"}
    assert [r for r in ended if r.holds_seat] == [] and db.session.get(
        Event, event_id
    ).seats_taken == 0
    decided = set(db.session.execute(select(HostDecision.registration_id)).scalars())
    assert decided == {r.id for r in ended if r.cancelled_by_id == host_id}
    refused = Counter(job for job, kind, _ in outcomes if kind == "refused")
    assert refused["decline"] == PAIRS - len(decided)
