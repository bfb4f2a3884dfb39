"""Reminders before an event: one email per confirmed delegate, inside EVENT_REMINDER_HOURS,
sent by the `expire-holds` round."""

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.events.models import Event, EventStatus
from app.extensions import db
from app.outbox.delivery import deliver_due
from app.registration import reminders, services
from app.registration.models import EmailLog, Registration
from app.registration.seats import format_when
from app.timeutil import utcnow
from tests.factories import make_event, make_session, organiser
from tests.factories_registration import make_benchmark, make_delegate
from tests.processes import process_context
from tests.unit.registration import registration_workers

DAY = timedelta(days=1)


def _summer_event(**kw):
    """An event on 10 June next year at 08:00 UTC, which is 09:00 in London (BST)."""
    event = make_event(title=kw.pop("title", "Lean Summit"), **kw)
    starts = datetime(utcnow().year + 1, 6, 10, 8, 0)
    event.starts_at, event.ends_at = starts, starts + timedelta(hours=8)
    db.session.flush()
    return event


def _delegate(event, benchmark: bool = True, **kw):
    """A delegate whose business's benchmark is valid at the event's time."""
    user = make_delegate(benchmark=False, **kw)
    if benchmark:
        make_benchmark(user.organisation, submitted_at=event.starts_at - 20 * DAY, user=user)
    return user


def _register(event, user=None, *, at=None):
    user = user or _delegate(event)
    return services.register_delegate(
        user, event, event.ticket_types[0], now=at or event.starts_at - 10 * DAY
    )


def _reminders():
    return db.session.execute(
        select(EmailLog).where(EmailLog.kind == "event_reminder").order_by(EmailLog.id)
    ).scalars()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_reminder_inside_the_window_with_ticket_venue_agenda_sessions_and_benchmark(app, outbox):
    event = _summer_event()
    event.agenda_published_at = event.starts_at - 30 * DAY
    room_1, room_2 = event.venue.rooms
    lean = make_session(event, timedelta(hours=1), room=room_2, capacity=20, title="Lean basics")
    keynote = make_session(event, timedelta(0), room=room_1, capacity=20, title="Opening keynote")
    make_session(event, timedelta(hours=3), capacity=20, title="Not for me")
    full = make_session(event, timedelta(hours=5), capacity=0, title="Full workshop")
    user = _delegate(event, name="Ada Lovelace", email="ada@example.com")
    registration = _register(event, user)
    for s in (lean, keynote):
        services.book_session(user, s, now=event.starts_at - 10 * DAY)
    services.book_session(user, full, now=event.starts_at - 10 * DAY)  # waitlisted: not listed
    # An unpublished draft change: the reminder shows the published time and room.
    lean.starts_at += timedelta(hours=2)
    lean.room = room_1
    results_id = make_benchmark(user.organisation, submitted_at=event.starts_at - 5 * DAY).public_id
    db.session.commit()
    outbox.clear()

    now = event.starts_at - timedelta(hours=24)
    summary = reminders.expire_holds(now=now)
    db.session.commit()

    assert summary.event_reminders == 1
    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "ada@example.com"
    day = f"{event.starts_at:%a} 10 Jun {event.starts_at.year}"
    assert message["Subject"] == f"Reminder: Lean Summit is on {day}, 09:00"
    text = _text(message)
    assert f"it starts on {day}, 09:00 (UK time)" in text
    assert f"Where: {event.venue.full_address}" in text
    assert "Your ticket (Delegate): http://localhost/me/tickets" in text
    assert registration.ticket_secret in text
    assert (
        "Your booked sessions:\n"
        f"- {day}, 09:00–09:45, Room 1: Opening keynote\n"
        f"- {day}, 10:00–10:45, Room 2: Lean basics\n"
    ) in text
    assert "Not for me" not in text and "Full workshop" not in text
    assert f"The agenda: http://localhost/events/{event.slug}/agenda" in text
    assert f"benchmark results: http://localhost/benchmark/results/{results_id}" in text
    html = _html(message)
    assert f'href="http://localhost/events/{event.slug}/agenda"' in html
    assert f'href="http://localhost/benchmark/results/{results_id}"' in html
    assert "10:00–10:45, Room 2: <strong>Lean basics</strong>" in html
    # The QR code is inline in the HTML part, as in the confirmation email.
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert images[0].get_content_disposition() != "attachment"
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    logs = list(_reminders())
    assert [(log.registration_id, log.to) for log in logs] == [(registration.id, user.email)]
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).event_reminder_sent_at == now

    # The next rounds (a minute later, an hour later) send nothing more.
    assert reminders.expire_holds(now=now + timedelta(minutes=1)).event_reminders == 0
    assert reminders.send_event_reminders(now + timedelta(hours=1)) == 0
    db.session.commit()
    assert len(outbox) == 1
    assert len(list(_reminders())) == 1


def test_without_agenda_or_benchmark_the_reminder_says_so(app, outbox):
    event = _summer_event(requires_benchmark=False)
    event.venue = None
    user = _delegate(event, benchmark=False)
    _register(event, user)
    db.session.commit()
    outbox.clear()
    assert reminders.send_event_reminders(event.starts_at - DAY) == 1
    db.session.commit()
    text = _text(outbox[0])
    assert "Where:" not in text and "The agenda:" not in text
    assert "Your booked sessions" not in text
    assert "no benchmark results yet" in text and "http://localhost/benchmark\n" in text


@pytest.mark.parametrize(
    "before_start, sent",
    [
        (timedelta(hours=49), 0),
        (timedelta(hours=48, seconds=1), 0),
        (timedelta(hours=48), 1),
        (timedelta(minutes=1), 1),
        (timedelta(0), 0),  # starting now
        (-timedelta(hours=1), 0),  # started
    ],
)
def test_only_inside_the_window_and_before_the_start(app, outbox, before_start, sent):
    event = _summer_event()
    _register(event)
    db.session.commit()
    outbox.clear()
    assert reminders.send_event_reminders(event.starts_at - before_start) == sent
    db.session.commit()
    assert len(outbox) == sent


@pytest.mark.config(EVENT_REMINDER_HOURS=6)
def test_the_window_is_configurable(app, outbox):
    event = _summer_event()
    _register(event)
    db.session.commit()
    assert reminders.send_event_reminders(event.starts_at - timedelta(hours=7)) == 0
    assert reminders.send_event_reminders(event.starts_at - timedelta(hours=6)) == 1


def test_only_confirmed_delegates_of_published_events(app, outbox):
    event = _summer_event()
    confirmed = _register(event)
    cancelled = _register(event)
    services.cancel_registration(cancelled, cancelled.user, now=event.starts_at - 9 * DAY)
    refunded = _register(event)
    services.refund_registration(refunded, organiser(), now=event.starts_at - 9 * DAY)
    for status in ("pending_payment", "pending_benchmark", "waitlisted"):
        user = _delegate(event)
        db.session.add(
            Registration(
                event=event,
                user=user,
                ticket_type=event.ticket_types[0],
                status=status,
                active_user_id=user.id,
            )
        )
    called_off = _summer_event()
    _register(called_off)
    called_off.status = EventStatus.CANCELLED
    draft = _summer_event()
    _register(draft)
    draft.status = EventStatus.DRAFT
    db.session.commit()
    outbox.clear()

    assert reminders.send_event_reminders(event.starts_at - DAY) == 1
    db.session.commit()
    assert [m["To"] for m in outbox] == [confirmed.user.email]
    assert [log.registration_id for log in _reminders()] == [confirmed.id]


def test_confirmed_inside_the_window_gets_the_confirmation_only(app, outbox):
    event = _summer_event()
    early = _register(event, at=event.starts_at - timedelta(hours=49))
    late = _register(event, at=event.starts_at - timedelta(hours=47))
    # Waiting for the benchmark until the day before: confirmed then, inside the window.
    waiting_user = _delegate(event, benchmark=False)
    waiting = _register(event, waiting_user)
    assert waiting.status == services.S.PENDING_BENCHMARK
    services.confirm_pending_benchmark(waiting_user.organisation, None, now=event.starts_at - DAY)
    # Confirmed by an organiser at the door, after the start.
    at_door = _register(event, _delegate(event, benchmark=False))
    services.confirm_registration(at_door, organiser(), now=event.starts_at + timedelta(hours=1))
    db.session.commit()
    assert waiting.status == at_door.status == services.S.CONFIRMED
    confirmations = [m["To"] for m in outbox if m["Subject"].startswith("Your ticket")]
    assert sorted(confirmations) == sorted(r.user.email for r in (early, late, waiting, at_door))
    outbox.clear()

    assert reminders.send_event_reminders(event.starts_at - timedelta(hours=12)) == 1
    db.session.commit()
    assert [m["To"] for m in outbox] == [early.user.email]


def test_expire_holds_command_counts_event_reminders_and_sends_once(app, runner, outbox):
    event = make_event(starts_in=timedelta(hours=24))  # tomorrow 08:00 UTC: inside 48 hours
    assert utcnow() < event.starts_at <= utcnow() + timedelta(hours=48)
    for _ in range(2):
        services.register_delegate(
            make_delegate(), event, event.ticket_types[0], now=utcnow() - 5 * DAY
        )
    db.session.commit()
    outbox.clear()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Released 0 expired holds, sent 0 reminders, promoted 0 from waiting lists, "
        "confirmed 0, sent 2 event reminders.\n"
    )
    again = runner.invoke(args=["expire-holds"])
    assert again.output.endswith("confirmed 0, sent 0 event reminders.\n")
    assert len(outbox) == 2
    assert all(m["Subject"].startswith("Reminder: ") for m in outbox)


def test_a_claim_succeeds_once(app):
    """A second machine that saw the same registrations due claims none of them."""
    event = _summer_event()
    first, second = _register(event), _register(event)
    db.session.commit()
    now = event.starts_at - DAY
    ids = [first.id, second.id]
    assert reminders.claim_event_reminders(ids, now) == {first.id, second.id}
    db.session.commit()
    assert reminders.claim_event_reminders(ids, now + timedelta(minutes=1)) == set()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Registration, first.id).event_reminder_sent_at == now


def test_concurrent_rounds_send_each_reminder_once(app, database_url):
    event = _summer_event()
    ids = [_register(event).id for _ in range(30)]
    now = event.starts_at - DAY
    db.session.commit()

    processes = 6
    ctx = process_context()
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [
        ctx.Process(
            target=registration_workers.reminder_worker,
            args=(database_url, now, barrier, results),
        )
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert [o for o in outcomes if not isinstance(o, int)] == []
    assert sum(outcomes) == 30
    db.session.expire_all()
    logged = db.session.execute(
        select(EmailLog.registration_id, func.count())
        .where(EmailLog.kind == "event_reminder")
        .group_by(EmailLog.registration_id)
    ).all()
    assert sorted(logged) == [(i, 1) for i in sorted(ids)]


def _round_queries(count_queries, delegates: int) -> int:
    event = _summer_event()
    event.agenda_published_at = event.starts_at - 30 * DAY
    workshop = make_session(event, capacity=500, title="Lean basics")
    for _ in range(delegates):
        registration = _register(event)
        services.book_session(registration.user, workshop, now=event.starts_at - 10 * DAY)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as queries:
        sent = reminders.expire_holds(now=event.starts_at - DAY).event_reminders
        db.session.commit()
    assert sent == delegates
    # Leave the next call a clean slate: this event's reminders are done.
    event.status = EventStatus.CANCELLED
    db.session.commit()
    return len(queries)


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_round_costs_a_fixed_number_of_queries(app, outbox, count_queries):
    few = _round_queries(count_queries, 2)
    many = _round_queries(count_queries, 25)
    assert few == many
    assert many <= 15
    # Building and sending them is the workers' job, also at a fixed cost per batch.
    assert outbox == []
    with count_queries() as queries:
        outcome = deliver_due()
    assert (outcome.sent, outcome.failed) == (81, 0)
    assert len(queries) <= 12
    # 27 delegates, each sent their ticket, their workshop booking and their reminder once
    # each, and nothing else.
    starts = db.session.execute(select(Event.starts_at).distinct()).scalar_one()
    when = format_when(starts, "Europe/London")
    by_delegate = defaultdict(list)
    for message in outbox:
        by_delegate[message["To"]].append(message["Subject"])
    assert len(by_delegate) == 27
    assert {tuple(sorted(subjects)) for subjects in by_delegate.values()} == {
        tuple(
            sorted(
                [
                    "Your ticket for Lean Summit",
                    "Booked: Lean basics",
                    f"Reminder: Lean Summit is on {when}",
                ]
            )
        )
    }
    assert len(outbox) == 81
