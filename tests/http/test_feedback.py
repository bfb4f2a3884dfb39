"""Delegates' feedback after an event, and the organisers' summary of it."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.feedback.models import Feedback
from app.registration.models import Registration
from app.registration.tickets import new_ticket_secret
from tests.factories import make_event, make_organisation, make_user, organiser

GOOD = {
    "rating": "4",
    "recommend": "yes",
    "pillars": ["lean", "people"],
    "actions": "Trial a kanban board in the paint shop.",
    "comments": "More time for Q&A.",
}


def _delegate(event, name="Ann Maker", status="confirmed"):
    user = make_user(name=name, organisation=make_organisation(f"{name} Ltd"))
    secret = new_ticket_secret() if status == "confirmed" else None
    db.session.add(
        Registration(
            event=event,
            user=user,
            ticket_type=event.ticket_types[0],
            status=status,
            active_user_id=user.id,
            ticket_secret=secret,
        )
    )
    db.session.flush()
    return user


def _started(**kw):
    return make_event(starts_in=timedelta(days=-1), slug=kw.pop("slug", "forum"), **kw)


def _count() -> int:
    return db.session.execute(select(func.count(Feedback.id))).scalar_one()


def test_a_delegate_gives_and_then_revises_feedback(client, login):
    event = _started()
    ann = _delegate(event)
    db.session.commit()
    login(ann)
    tickets = client.get("/me/tickets").get_data(as_text=True)
    assert 'href="/events/forum/feedback">Give feedback</a>' in tickets
    assert client.get("/events/forum/feedback").status_code == 200
    response = client.post("/events/forum/feedback", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/me/tickets"
    saved = db.session.execute(select(Feedback)).scalar_one()
    assert (saved.rating, saved.recommend, saved.pillars) == (4, True, ["lean", "people"])
    assert saved.actions == GOOD["actions"]

    form = client.get("/events/forum/feedback").get_data(as_text=True)
    assert '<input checked class="btn-check" id="rating-1" name="rating"' in form
    assert "Update my feedback" in form
    again = {**GOOD, "rating": "2", "recommend": "no", "pillars": ["people", "lean", "people"]}
    assert client.post("/events/forum/feedback", data=again).status_code == 302
    db.session.expire_all()
    revised = db.session.execute(select(Feedback)).scalar_one()
    assert (revised.rating, revised.recommend, revised.pillars) == (2, False, ["lean", "people"])
    assert _count() == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"rating": ""}, "Choose a rating."),
        ({"rating": "9"}, "Not a valid choice"),
        ({"recommend": "maybe"}, "Not a valid choice"),
        ({"pillars": ["lean", "astrology"]}, "not a valid choice"),
        ({"actions": "x" * 2001}, "Field cannot be longer than 2000 characters"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(client, login, changes, message):
    event = _started()
    ann = _delegate(event)
    db.session.commit()
    login(ann)
    response = client.post("/events/forum/feedback", data={**GOOD, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_only_confirmed_delegates_of_a_started_event_within_the_window(client, login):
    future = make_event(slug="later")
    long_ago = make_event(starts_in=timedelta(days=-90), slug="old")
    started = _started()
    ann = _delegate(future, "Ann Future")
    _delegate(long_ago, "Ann Future").id  # noqa: B018 - another user, same name
    waiting = _delegate(started, "Wes Waiting", status="waitlisted")
    stranger = make_user()
    old_hand = _delegate(long_ago, "Olga Old")
    draft = make_event(status="draft", starts_in=timedelta(days=-1), slug="draft")
    _delegate(draft, "Dee Draft")
    db.session.commit()

    assert client.get("/events/forum/feedback").status_code == 302  # sign in first
    login(ann)
    early = client.get("/events/later/feedback")
    assert early.status_code == 403 and "opens when the event starts" in early.text
    assert "Give feedback" not in client.get("/me/tickets").text
    login(old_hand)
    late = client.post("/events/old/feedback", data=GOOD)
    assert late.status_code == 403 and "has closed" in late.text
    for user in (waiting, stranger):
        login(user)
        refused = client.post("/events/forum/feedback", data=GOOD)
        assert refused.status_code == 403 and "confirmed place" in refused.text
    assert client.get("/events/nowhere/feedback").status_code == 404
    assert client.get("/events/draft/feedback").status_code == 404
    assert _count() == 0


def test_organisers_see_a_summary_and_a_safe_csv(client, login, count_queries):
    event = _started(title="Productivity Forum")
    people = [_delegate(event, n) for n in ("Ann Maker", "Bob Welder", "Cy Painter")]
    _delegate(event, "Dee Silent")
    boss = organiser()
    db.session.commit()
    answers = [
        {**GOOD, "rating": "5", "pillars": ["lean"]},
        {**GOOD, "rating": "4", "recommend": "no", "pillars": ["lean", "digital"]},
        {**GOOD, "rating": "3", "pillars": [], "actions": '=HYPERLINK("http://x")'},
    ]
    for person, data in zip(people, answers, strict=True):
        login(person)
        assert client.post("/events/forum/feedback", data=data).status_code == 302

    login(boss)
    with count_queries() as queries:
        page = client.get(f"/organiser/events/{event.id}/feedback")
    assert page.status_code == 200 and len(queries) <= 6
    html = page.text
    assert (
        '<div class="fs-4" id="fb-responses">3 <span class="fs-6 text-body-secondary">of 4' in html
    )
    assert '<div class="fs-4" id="fb-average">4.0 <span' in html
    assert '<div class="fs-4" id="fb-recommend">66%</div>' in html
    assert html.index("Lean operations &amp; flow") < html.index("Data &amp; digital systems")

    response = client.get(f"/organiser/events/{event.id}/feedback.csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Name", "Email", "Business", "Rating"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Cy Painter"][6] == '\'=HYPERLINK("http://x")'
    assert by_name["Bob Welder"][4:6] == ["no", "Lean operations & flow; Data & digital systems"]

    login(people[0])
    assert client.get(f"/organiser/events/{event.id}/feedback").status_code == 403
    assert client.get(f"/organiser/events/{event.id}/feedback.csv").status_code == 403
