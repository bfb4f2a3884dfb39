"""States said once and plainly: a full event offers the waiting list, not Register; after
the benchmark the page says where each place stands and links the ticket."""

from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.registration import services
from tests.factories import make_event, make_user
from tests.factories_benchmark import make_submission
from tests.factories_checkin import make_registration
from tests.factories_registration import make_delegate


class _Buttons(HTMLParser):
    """The text of every button, submit input and link styled as a button."""

    def __init__(self):
        super().__init__()
        self.buttons: list[str] = []
        self._open: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.buttons.append(attrs.get("value") or "")
        elif self._open is not None:
            self._depth += 1
        elif tag == "button" or (tag == "a" and "btn" in (attrs.get("class") or "").split()):
            self._open, self._depth = [], 0
            if attrs.get("aria-label"):
                self._open.append(attrs["aria-label"])

    def handle_endtag(self, tag):
        if self._open is None:
            return
        if self._depth:
            self._depth -= 1
            return
        self.buttons.append(" ".join("".join(self._open).split()))
        self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)


def _buttons(html: str) -> list[str]:
    parser = _Buttons()
    parser.feed(html)
    return parser.buttons


@pytest.mark.parametrize("who", ["anonymous", "delegate", "colleague of a delegate"])
def test_a_full_event_offers_only_the_waiting_list(client, login, who):
    event = make_event(title="Lean day", capacity=2)
    for _ in range(2):
        services.register_delegate(make_delegate(), event, event.ticket_types[0])
    if who == "delegate":
        login(make_delegate())
    elif who == "colleague of a delegate":
        # Registered already: the colleague link must not say Register either.
        registered = make_delegate()
        make_registration(event, user=registered, status="waitlisted")
        login(registered)
    db.session.commit()
    html = client.get(f"/events/{event.slug}").text
    buttons = _buttons(html)
    assert buttons, "the page has buttons"
    assert [b for b in buttons if "register" in b.lower()] == []
    assert "waiting list" in html
    if who != "colleague of a delegate":
        assert "Sold out" in html
        assert buttons.count("Join the waiting list") == 2  # phone and desktop placements


def test_an_event_with_places_says_register_and_how_few_are_left(client):
    event = make_event(capacity=10)
    for _ in range(9):
        services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    html = client.get(f"/events/{event.slug}").text
    assert "Register" in _buttons(html)
    assert "Only 1 place left" in html and "Sold out" not in html


def test_after_the_benchmark_the_page_says_the_place_is_confirmed_and_links_the_ticket(
    client, login
):
    delegate = make_delegate(benchmark=False)
    confirmed_at = make_event(title="Lean day")
    paying_at = make_event(title="Dinner", price_pence=4500)
    confirmed = make_registration(confirmed_at, user=delegate)
    paying = make_registration(
        paying_at, user=delegate, status="pending_payment", amount_due_pence=4500
    )
    response = make_submission(delegate.organisation, delegate)
    db.session.commit()
    login(delegate)
    html = client.get(f"/benchmark/results/{response.public_id}?next=/me/tickets").text
    assert "Your place at <strong>Lean day</strong> is confirmed." in html
    assert f'href="/me/tickets#registration-{confirmed.id}">See your ticket' in html
    assert "Your seat at <strong>Dinner</strong> is held" in html
    assert f'href="/me/tickets#registration-{paying.id}">How to pay' in html
    assert "can now be confirmed" not in html and "Continue your registration" not in html
    # Someone else looking at the same results sees nothing about these places.
    colleague = make_user(organisation=delegate.organisation)
    db.session.commit()
    login(colleague)
    html = client.get(f"/benchmark/results/{response.public_id}?next=/me/tickets").text
    assert 'data-testid="places-banner"' not in html


def test_the_benchmark_page_says_the_seat_is_held_until_it_is_done(client, login):
    delegate = make_delegate(benchmark=False)
    event = make_event(title="Lean day")
    registration = services.register_delegate(delegate, event, event.ticket_types[0])
    assert registration.status == "pending_benchmark"
    db.session.commit()
    login(delegate)
    response = client.post(
        f"/events/{event.slug}/register", data={"ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 409  # already registered: nothing new
    html = client.get("/benchmark?next=/me/tickets").text
    assert "Your seat at <strong>Lean day</strong> is held until" in html
    assert "One step left" in html
    assert 'class="alert alert-info alert-dismissible' not in html
