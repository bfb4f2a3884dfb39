"""The home page marks the events that address the signed-in delegate's weakest pillars."""

from datetime import timedelta

from app.events.models import EventKind
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user
from tests.factories_benchmark import make_submission


def _weak_on_digital():
    org = make_organisation("Fen Fabrication Ltd")
    user = make_user(organisation=org)
    # Strong everywhere but digital (0), automation and people (1): those three are weakest.
    make_submission(org, user, level=4, digital=0, automation=1, people=1)
    return user


def test_events_for_the_weakest_pillars_are_marked_for_you(client, login):
    user = _weak_on_digital()
    digital = make_event(kind=EventKind.WORKSHOP, title="Data on the shop floor",
                         pillars=["digital"], starts_in=timedelta(days=20))  # fmt: skip
    lean = make_event(kind=EventKind.WORKSHOP, title="Lean basics", pillars=["lean"],
                      starts_in=timedelta(days=21))  # fmt: skip
    conference = make_event(title="Makers Forum 2027", pillars=[], starts_in=timedelta(days=40))
    make_session(conference, title="Cobots for small firms", pillars=["automation"])
    conference.agenda_published_at = utcnow()
    db.session.commit()

    assert "For you" not in client.get("/").get_data(as_text=True)  # anonymous: nothing
    login(user)
    html = client.get("/").get_data(as_text=True)
    assert "address Fen Fabrication Ltd" in html and "See your benchmark results" in html
    grouped = html[html.index('id="h-conference"') :]  # the cards, after the Coming up strip
    cards = {title: grouped.split(title, 1)[1].split("</article>", 1)[0]
             for title in (digital.title, lean.title, conference.title)}  # fmt: skip
    assert (
        "For you" in cards[digital.title] and "Data &amp; digital systems" in cards[digital.title]
    )
    assert "For you" in cards[conference.title] and "Automation" in cards[conference.title]
    assert "For you" not in cards[lean.title]


def test_a_delegate_without_a_benchmark_sees_no_marks(client, login):
    login(make_user(organisation=make_organisation()))
    make_event(kind=EventKind.WORKSHOP, pillars=["digital"])
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "For you" not in html and "Take the productivity benchmark" in html
