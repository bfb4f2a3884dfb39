"""The `expire-holds` round at its edges: benchmarks judged at the round's own `now`, every
waiting registration confirmed (not just the first), a registration another machine confirmed a
moment earlier left alone, and a fixed number of queries to look at holds that are not due."""

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from app.extensions import db
from app.registration import reminders, seats, services
from app.registration.models import EmailLog, Registration, RegistrationLog
from app.timeutil import utcnow
from tests.factories import make_event
from tests.factories_registration import make_benchmark, make_delegate

S = services.S
DAY = timedelta(days=1)


def _waiting_for_benchmark(event=None):
    event = event or make_event(starts_in=timedelta(days=60))
    registration = services.register_delegate(
        make_delegate(benchmark=False), event, event.ticket_types[0]
    )
    assert registration.status == S.PENDING_BENCHMARK
    return registration


def _log(registration):
    return list(
        db.session.execute(
            select(RegistrationLog.action, RegistrationLog.actor_id, RegistrationLog.detail)
            .where(RegistrationLog.registration_id == registration.id)
            .order_by(RegistrationLog.id)
        ).all()
    )


def _emails(registration):
    return list(
        db.session.execute(
            select(EmailLog.kind).where(EmailLog.registration_id == registration.id)
        ).scalars()
    )


def test_every_registration_whose_benchmark_turned_up_is_confirmed_and_counted(app):
    event = make_event(starts_in=timedelta(days=60))
    regs = [_waiting_for_benchmark(event) for _ in range(3)]
    for r in regs[:2]:
        make_benchmark(r.user.organisation)
    when = utcnow() + DAY

    summary = reminders.expire_holds(when)

    assert (summary.confirmed, summary.released, summary.reminded) == (2, 0, 0)
    assert [(r.status, r.confirmed_at) for r in regs] == [
        (S.CONFIRMED, when),
        (S.CONFIRMED, when),
        (S.PENDING_BENCHMARK, None),
    ]
    assert _log(regs[0])[-1] == ("confirmed", None, "benchmark found at hold check")


def test_a_benchmark_is_judged_at_the_rounds_own_now(app):
    """A benchmark 360 days old today is 370 days old for a round run for ten days from now:
    out of date then, so the hold (which ran out on day 7) is released, not confirmed."""
    registration = _waiting_for_benchmark()
    make_benchmark(registration.user.organisation, submitted_at=utcnow() - 360 * DAY)

    summary = reminders.expire_holds(utcnow() + 10 * DAY)

    assert (summary.confirmed, summary.released) == (0, 1)
    assert registration.status == S.CANCELLED


def test_a_registration_another_machine_confirmed_meanwhile_is_left_alone(app, outbox):
    """Two machines run the round at once: the other one confirms this registration between
    our read and our claim. Ours must neither confirm it again nor email again."""
    registration = _waiting_for_benchmark()
    make_benchmark(registration.user.organisation)
    db.session.commit()
    outbox.clear()

    claims = []

    def other_machine_first(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE REGISTRATION") and not claims:
            claims.append(statement)
            with db.engine.begin() as other:
                other.execute(
                    update(Registration)
                    .where(Registration.id == registration.id)
                    .values(status=S.CONFIRMED)
                )

    sa_event.listen(db.engine, "before_cursor_execute", other_machine_first)
    try:
        summary = reminders.expire_holds(utcnow() + DAY)
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", other_machine_first)

    assert claims, "the round never tried to claim the registration"
    assert summary.confirmed == 0
    assert registration.status == S.CONFIRMED
    assert "confirmation" not in _emails(registration)
    assert outbox == []


@pytest.fixture
def holds_not_due(app):
    """n registrations, each in its own event and business, each waiting for a benchmark whose
    hold is far from its end: the round only looks at them."""

    def make(n):
        regs = [_waiting_for_benchmark() for _ in range(n)]
        db.session.commit()
        db.session.expire_all()
        return regs

    return make


def test_looking_at_holds_that_are_not_due_costs_the_same_for_two_or_six(
    holds_not_due, count_queries
):
    def round_cost(n):
        holds_not_due(n)
        with count_queries() as queries:
            summary = reminders.expire_holds(utcnow() + DAY)
        assert (summary.released, summary.reminded, summary.confirmed) == (0, 0, 0)
        db.session.rollback()
        for r in db.session.execute(select(Registration)).scalars():
            r.status = S.CANCELLED  # out of the next round's way
        db.session.commit()
        return len(queries)

    assert round_cost(2) == round_cost(6)


# --- holds that run out, and reminders before they do ----------------------------------------


def _held_unpaid(n=1):
    """n registrations for a paid ticket, holding seats until 7 days after now."""
    event = make_event(starts_in=timedelta(days=60), price_pence=2500, title="Lean Summit")
    start = utcnow()
    regs = [
        services.register_delegate(make_delegate(), event, event.ticket_types[0], now=start)
        for _ in range(n)
    ]
    assert all(r.hold_expires_at == start + 7 * DAY for r in regs)
    return event, regs


def _body(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


def test_a_hold_runs_out_at_its_exact_moment_and_every_lapsed_one_is_released(app, outbox):
    event, regs = _held_unpaid(2)
    expiry = regs[0].hold_expires_at
    db.session.commit()
    outbox.clear()

    summary = reminders.expire_holds(expiry)  # not a second later
    db.session.commit()

    assert (summary.released, summary.reminded) == (2, 0)
    for r in regs:
        assert (r.status, r.cancelled_at, r.cancelled_by_id) == (S.CANCELLED, expiry, None)
        assert _log(r)[-1] == ("cancelled", None, "hold expired")
    assert {m["To"] for m in outbox} == {r.user.email for r in regs}
    assert "is cancelled because the hold on your seat ran out." in _body(outbox[0])


def test_a_registration_confirmed_meanwhile_is_not_counted_as_released(app):
    """Its hold lapsed, but it was paid for and confirmed (elsewhere) between the round's read
    and its release: nothing is released and nothing is counted."""
    _, (registration,) = _held_unpaid()
    expiry = registration.hold_expires_at
    db.session.commit()
    done = []

    def confirmed_elsewhere(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE REGISTRATION") and not done:
            done.append(statement)
            with db.engine.begin() as other:
                other.execute(
                    update(Registration)
                    .where(Registration.id == registration.id)
                    .values(status=S.CONFIRMED, hold_expires_at=None)
                )

    sa_event.listen(db.engine, "before_cursor_execute", confirmed_elsewhere)
    try:
        summary = reminders.expire_holds(expiry + DAY)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", confirmed_elsewhere)

    assert summary.released == 0
    assert registration.status == S.CONFIRMED


def test_the_reminder_before_a_hold_runs_out_says_until_when(app, outbox):
    event, (registration,) = _held_unpaid()
    db.session.commit()
    outbox.clear()
    until = seats.format_when(registration.hold_expires_at, event.timezone)

    summary = reminders.expire_holds(registration.hold_expires_at - timedelta(hours=47))
    db.session.commit()

    assert summary.reminded == 1
    assert [m["Subject"] for m in outbox] == [
        f"Reminder: your place at Lean Summit is held until {until}"
    ]
    assert f"Your seat at Lean Summit is held until {until} while we wait for payment" in (
        _body(outbox[0])
    )


def test_a_paid_registration_waiting_for_its_benchmark_is_nudged_every_week(app, outbox):
    event = make_event(starts_in=timedelta(days=60), price_pence=2500, title="Lean Summit")
    start = utcnow()
    registration = services.register_delegate(
        make_delegate(benchmark=False), event, event.ticket_types[0], now=start
    )
    services.mark_paid(registration, None, amount_pence=2500, now=start)
    assert (registration.status, registration.hold_expires_at) == (S.PENDING_BENCHMARK, None)
    db.session.commit()
    outbox.clear()

    rounds = [start + d * DAY for d in (6, 8, 9, 15, 15)]  # a week after it was made, then sent
    reminded = [reminders.expire_holds(when).reminded for when in rounds]
    db.session.commit()

    assert reminded == [0, 1, 0, 1, 0]
    assert registration.reminder_sent_at == start + 15 * DAY
    assert [m["Subject"] for m in outbox] == [
        "Reminder: your place at Lean Summit is waiting for your benchmark"
    ] * 2
    assert "Your seat at Lean Summit is kept for you: your ticket is waiting only for" in (
        _body(outbox[0])
    )


def test_a_weekly_nudge_another_machine_sent_meanwhile_is_not_sent_again(app, outbox):
    event = make_event(starts_in=timedelta(days=60), price_pence=2500)
    start = utcnow()
    registration = services.register_delegate(
        make_delegate(benchmark=False), event, event.ticket_types[0], now=start
    )
    services.mark_paid(registration, None, amount_pence=2500, now=start)
    assert reminders.expire_holds(start + 8 * DAY).reminded == 1
    db.session.commit()
    outbox.clear()
    done = []

    def sent_elsewhere(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE REGISTRATION") and not done:
            done.append(statement)
            with db.engine.begin() as other:
                other.execute(
                    update(Registration)
                    .where(Registration.id == registration.id)
                    .values(reminder_sent_at=start + 15 * DAY)
                )

    sa_event.listen(db.engine, "before_cursor_execute", sent_elsewhere)
    try:
        summary = reminders.expire_holds(start + 15 * DAY)
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", sent_elsewhere)

    assert done and summary.reminded == 0
    assert outbox == []


def test_every_reminder_due_in_a_round_is_sent_and_counted(app, outbox):
    _, regs = _held_unpaid(2)
    db.session.commit()
    outbox.clear()

    summary = reminders.expire_holds(regs[0].hold_expires_at - timedelta(hours=47))

    assert summary.reminded == 2


# --- seats the round hands to waiting lists ----------------------------------------------------


def _full_with_one_waiting(**kw):
    """An event whose only seat is taken, with one delegate waiting; its seats then grow by one
    (an organiser raised the capacity), so the round has a seat to hand out."""
    event = make_event(starts_in=timedelta(days=60), **kw)
    tt = event.ticket_types[0]
    if event.capacity or tt.capacity:
        services.register_delegate(make_delegate(), event, tt)
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    assert waiting.status == S.WAITLISTED
    if event.capacity is not None:
        event.capacity += 1
    if tt.capacity is not None:
        tt.capacity += 1
    db.session.flush()
    return event, waiting


def test_the_round_hands_free_seats_out_at_every_event_and_counts_them(app):
    _, first = _full_with_one_waiting(capacity=1)
    _, second = _full_with_one_waiting(capacity=None, ticket_capacity=1)  # no event limit
    _, only_waiting = _full_with_one_waiting(capacity=0)  # nobody seated at all

    summary = reminders.expire_holds(utcnow() + DAY)

    assert summary.promoted == 3
    assert [r.status for r in (first, second, only_waiting)] == [S.CONFIRMED] * 3


@pytest.mark.parametrize("change", ["draft", "cancelled", "starting now", "started"])
def test_no_seats_are_handed_out_at_events_not_open(app, change):
    event, waiting = _full_with_one_waiting(capacity=1)
    now = utcnow() + DAY
    if change in ("draft", "cancelled"):
        event.status = change
    else:
        event.starts_at = now if change == "starting now" else now - timedelta(hours=1)
    db.session.flush()

    summary = reminders.expire_holds(now)

    assert summary.promoted == 0
    assert waiting.status == S.WAITLISTED
