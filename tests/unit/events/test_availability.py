"""Places left as delegates see them: sold out, a few left, or nothing to say."""

import app.models  # noqa: F401  (every mapper, for building rows without a database)
from app.events.availability import availability
from app.events.models import Event, TicketType


def _event(capacity, taken, tickets=()):
    event = Event(capacity=capacity, seats_taken=taken)
    event.ticket_types = [
        TicketType(capacity=c, seats_taken=t, hidden=hidden) for c, t, hidden in tickets
    ]
    return event


def test_an_event_with_no_limit_is_never_sold_out():
    assert availability(_event(None, 500, [(None, 500, False)])) == (False, None, False)


def test_few_left_below_a_fifth_of_the_capacity():
    assert availability(_event(100, 80)) == (False, 20, False)
    assert availability(_event(100, 81)) == (False, 19, True)
    assert availability(_event(100, 100)) == (True, 0, False)


def test_sold_out_when_every_ticket_on_sale_is():
    event = _event(100, 10, [(5, 5, False), (10, 10, False), (50, 0, True)])
    assert availability(event) == (True, 0, False)
    event = _event(None, 14, [(5, 4, False), (10, 10, False)])
    assert availability(event) == (False, 1, True)
    # A ticket type without a limit keeps the event open.
    event = _event(100, 15, [(5, 5, False), (None, 10, False)])
    assert availability(event) == (False, 85, False)
