"""Home page cards help people choose: date, price or Free, places when few are left, Sold
out; a Coming up strip lists the next three events soonest first."""

from datetime import timedelta

from app.events.models import TicketType
from app.extensions import db
from app.registration import services
from tests.factories import make_event
from tests.factories_registration import make_delegate


def _card(html: str, title: str) -> str:
    grouped = html[html.index('id="h-conference"') :]
    return grouped.split(title, 1)[1].split("</article>", 1)[0]


def test_cards_show_price_places_and_sold_out(client, count_queries):
    make_event(title="Free day", capacity=None)
    make_event(title="Paid day", kind="workshop", price_pence=4500, capacity=None)
    mixed = make_event(title="Mixed day", kind="workshop", capacity=10)
    mixed.ticket_types.append(TicketType(name="Dinner", price_pence=3000, position=1))
    mixed.ticket_types.append(TicketType(name="Secret", price_pence=1, hidden=True, position=2))
    full = make_event(title="Full visit", kind="site_visit", capacity=1)
    db.session.flush()
    for _ in range(9):
        services.register_delegate(make_delegate(), mixed, mixed.ticket_types[0])
    services.register_delegate(make_delegate(), full, full.ticket_types[0])
    db.session.commit()
    with count_queries() as queries:
        html = client.get("/").text
    assert "Free</span>" in _card(html, "Free day") and "left" not in _card(html, "Free day")
    assert "£45.00</span>" in _card(html, "Paid day")
    mixed_card = _card(html, "Mixed day")
    assert "Free or £30.00</span>" in mixed_card and "1 place left</span>" in mixed_card
    assert "Sold out" in _card(html, "Full visit")
    assert "Sold out" not in mixed_card
    # Ticket types come with their events: no query per card.
    more = make_event(title="Another day", kind="workshop")
    db.session.commit()
    with count_queries() as again:
        client.get("/")
    assert len(again) == len(queries)
    assert more.title in client.get("/").text


def test_coming_up_lists_the_next_three_soonest_first(client):
    later = make_event(title="Conference in spring", starts_in=timedelta(days=90))
    make_event(title="Visit next week", kind="site_visit", starts_in=timedelta(days=7))
    make_event(title="Workshop tomorrow", kind="workshop", starts_in=timedelta(days=1))
    make_event(title="Workshop next month", kind="workshop", starts_in=timedelta(days=30))
    db.session.commit()
    html = client.get("/").text
    strip = html[html.index('id="h-coming-up"') : html.index('id="h-conference"')]
    assert (
        strip.index("Workshop tomorrow")
        < strip.index("Visit next week")
        < strip.index("Workshop next month")
    )
    assert later.title not in strip
