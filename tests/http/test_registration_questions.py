"""Registration questions through the site: asked when registering (oneself, a colleague, by
an organiser), changed until the cut-off, shown to organisers, in the CSV, and erased."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.demo import seed_demo
from app.events.models import Event
from app.extensions import db
from app.questions import services
from app.questions.models import RegistrationAnswer, RegistrationQuestion
from app.registration.models import Registration
from tests.factories import PASSWORD, make_event, make_user, organiser
from tests.factories_checkin import make_registration
from tests.factories_registration import make_delegate


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def event(app):
    event = make_event(title="Lean day")
    boss = organiser()
    dietary = services.add_preset(boss, event, "dietary")
    access = services.add_preset(boss, event, "access")
    terms = services.save_question(
        boss, event, label="I agree to the terms", kind="consent", terms_text="**Be kind.**"
    )
    db.session.commit()
    event.q = {"dietary": dietary.id, "access": access.id, "terms": terms.id}
    return event


def _organiser(login):
    user = organiser()
    db.session.commit()
    return login(user)


def _delegate(login, **kw):
    user = make_delegate(**kw)
    db.session.commit()
    return login(user)


def _answers(event, diet=("Vegetarian",), access="", terms=True) -> dict:
    data = {f"q-{event.q['dietary']}": list(diet), f"q-{event.q['access']}": access}
    if terms:
        data[f"q-{event.q['terms']}"] = "on"
    return data


def test_the_registration_form_asks_the_questions_and_stores_the_answers(client, login, event):
    delegate = _delegate(login)
    page = client.get(f"/events/{event.slug}/register").text
    assert "Dietary requirements" in page and "Access needs" in page
    assert f'href="/questions/{event.q["terms"]}/terms"' in page
    data = {"ticket_type": event.ticket_types[0].id, **_answers(event, access="A hearing loop")}
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 302
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.user_id == delegate.id
    assert services.access_needs(registration.id) == "A hearing loop"
    stored = services.answers_by_registration([registration.id])[registration.id]
    assert {q: a.value for q, a in stored.items()} == {
        event.q["dietary"]: ["Vegetarian"],
        event.q["access"]: "A hearing loop",
        event.q["terms"]: True,
    }


def test_a_missing_consent_or_a_bad_choice_registers_nobody(client, login, event):
    _delegate(login)
    data = {"ticket_type": event.ticket_types[0].id, **_answers(event, terms=False)}
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 422
    assert "Tick this box to register." in response.text
    # What was given stays on the form.
    assert 'value="Vegetarian" checked' in response.text
    data = {"ticket_type": event.ticket_types[0].id, **_answers(event, diet=["Chips"])}
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 422 and "Choose from the options shown." in response.text
    assert (_count(Registration), _count(RegistrationAnswer)) == (0, 0)
    db.session.expire_all()
    assert db.session.get(Event, event.id).seats_taken == 0


def test_the_terms_page_shows_the_consent_text(client, event):
    response = client.get(f"/questions/{event.q['terms']}/terms")
    assert response.status_code == 200 and "<strong>Be kind.</strong>" in response.text
    assert client.get(f"/questions/{event.q['dietary']}/terms").status_code == 404
    event.status = "draft"
    db.session.commit()
    assert client.get(f"/questions/{event.q['terms']}/terms").status_code == 404


def test_a_colleague_and_an_added_delegate_are_asked_too(client, login, event):
    booker = _delegate(login)
    colleague = make_user(organisation=booker.organisation)
    db.session.commit()
    url = f"/events/{event.slug}/register/colleague"
    assert "Access needs" in client.get(url).text
    data = {"email": colleague.email, "ticket_type": event.ticket_types[0].id}
    response = client.post(url, data=data)
    assert response.status_code == 422 and "Tick this box to register." in response.text
    assert _count(Registration) == 0
    response = client.post(url, data={**data, **_answers(event, diet=["Vegan"])})
    assert response.status_code == 303
    reg = db.session.execute(select(Registration)).scalar_one()
    assert reg.user_id == colleague.id
    assert (
        services.display(services.answers_by_registration([reg.id])[reg.id][event.q["dietary"]])
        == "Vegan"
    )

    _organiser(login)
    url = f"/organiser/events/{event.id}/registrations/new"
    assert "Dietary requirements" in client.get(url).text
    data = {"email": "guest@example.com", "name": "Gus Guest", "organisation": "Guest Ltd",
            "ticket_type": event.ticket_types[0].id, "complimentary": "y"}  # fmt: skip
    assert client.post(url, data=data).status_code == 422
    response = client.post(url, data={**data, **_answers(event, access="Step-free")})
    assert response.status_code == 303
    guest = db.session.execute(select(Registration).where(Registration.id != reg.id)).scalar_one()
    assert services.access_needs(guest.id) == "Step-free"


def test_the_delegate_changes_answers_until_the_cut_off(client, login, event):
    delegate = _delegate(login)
    registration = make_registration(event, user=delegate)
    db.session.commit()
    assert "Your answers" in client.get("/me/tickets").text
    url = f"/me/registrations/{registration.id}/answers"
    assert "Save answers" in client.get(url).text
    response = client.post(url, data=_answers(event, diet=["Vegan", "Other"]))
    assert response.status_code == 422 and "say what" in response.text
    response = client.post(url, data=_answers(event, diet=["Gluten-free"], access="Quiet room"))
    assert response.status_code == 303
    assert services.access_needs(registration.id) == "Quiet room"

    event.answers_editable_until = event.starts_at - timedelta(days=60)  # already passed
    db.session.commit()
    page = client.get(url).text
    assert "can no longer be changed" in page and "Save answers" not in page
    assert "Gluten-free" in page
    response = client.post(url, data=_answers(event, diet=["Vegan"]))
    assert response.status_code == 409
    assert services.access_needs(registration.id) == "Quiet room"
    # Someone else's registration is not found.
    _delegate(login)
    assert client.get(url).status_code == 404


def test_organisers_see_answers_summary_and_one_csv_column_per_question(client, login, event):
    vegetarian = make_registration(event, name="Vera Veg")
    services.save_answers(
        vegetarian,
        services.parse_answers(
            services.questions_for(event.id),
            vegetarian.ticket_type_id,
            {**_answers(event, access="Hearing loop")},
        ),
    )
    make_registration(event, name="Nia None")
    db.session.commit()
    _organiser(login)
    detail = client.get(f"/organiser/registrations/{vegetarian.id}").text
    assert "Hearing loop" in detail and "sensitive" in detail
    summary = client.get(f"/organiser/events/{event.id}/questions").text
    assert "<strong>1</strong> Vegetarian" in summary
    assert "<strong>0</strong> Vegan" in summary
    assert "Vera Veg</strong>: Hearing loop" in summary
    response = client.get(f"/organiser/events/{event.id}/registrations.csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[-3:] == ["Dietary requirements", "Access needs", "I agree to the terms"]
    by_name = {row[1]: row[-3:] for row in rows[1:]}
    assert by_name == {
        "Vera Veg": ["Vegetarian", "Hearing loop", "Agreed"],
        "Nia None": ["", "", ""],
    }


def test_only_organisers_reach_the_questions_screens(client, login, event):
    _delegate(login)
    assert client.get(f"/organiser/events/{event.id}/questions").status_code == 403
    response = client.post(f"/organiser/events/{event.id}/questions/preset/dietary")
    assert response.status_code == 403


def test_organisers_add_edit_move_and_delete_questions(client, login, event):
    _organiser(login)
    url = f"/organiser/events/{event.id}/questions/new"
    bad = {"label": "Size", "kind": "single_choice", "choices": "M"}
    response = client.post(url, data=bad)
    assert response.status_code == 422 and "at least two choices" in response.text
    assert _count(RegistrationQuestion) == 3
    good = {"label": "T-shirt size", "kind": "single_choice", "choices": "S\nM\n\nL",
            "required": "y", "ticket_type_ids": [event.ticket_types[0].id]}  # fmt: skip
    assert client.post(url, data=good).status_code == 303
    shirt = db.session.execute(
        select(RegistrationQuestion).where(RegistrationQuestion.label == "T-shirt size")
    ).scalar_one()
    assert (shirt.choices, shirt.required, shirt.ticket_type_ids) == (
        ["S", "M", "L"], True, [event.ticket_types[0].id],
    )  # fmt: skip
    form = client.get(f"/organiser/questions/{shirt.id}/edit").text
    assert "S\nM\nL</textarea>" in form
    response = client.post(
        f"/organiser/questions/{shirt.id}/edit", data={**good, "label": "Shirt size"}
    )
    assert response.status_code == 303
    assert (
        client.post(f"/organiser/questions/{shirt.id}/move", data={"direction": "up"}).status_code
        == 303
    )
    db.session.expire_all()
    assert [q.label for q in services.questions_for(event.id)][-2:] == [
        "Shirt size",
        "I agree to the terms",
    ]
    assert (
        client.post(
            f"/organiser/questions/{shirt.id}/move", data={"direction": "sideways"}
        ).status_code
        == 400
    )
    # Deleting asks for the tick first.
    client.post(f"/organiser/questions/{shirt.id}/delete")
    assert db.session.get(RegistrationQuestion, shirt.id) is not None
    shirt_id = shirt.id
    client.post(f"/organiser/questions/{shirt_id}/delete", data={"confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(RegistrationQuestion, shirt_id) is None
    response = client.post(f"/organiser/events/{event.id}/questions/preset/dietary")
    assert response.status_code == 303
    assert "already asks" in client.get(f"/organiser/events/{event.id}/questions").text


def test_the_cut_off_is_set_in_uk_time(client, login, event):
    _organiser(login)
    wall_clock = datetime(2026, 7, 1, 17, 30)  # British Summer Time: 16:30 UTC
    url = f"/organiser/events/{event.id}/questions/cutoff"
    event.ends_at = wall_clock + timedelta(days=365)
    db.session.commit()
    assert client.post(url, data={"until": "2026-07-01T17:30"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).answers_editable_until == datetime(2026, 7, 1, 16, 30)
    assert "2026-07-01T17:30" in client.get(f"/organiser/events/{event.id}/questions").text
    client.post(url, data={"until": "not a date"})
    db.session.expire_all()
    assert db.session.get(Event, event.id).answers_editable_until == datetime(2026, 7, 1, 16, 30)
    client.post(url, data={"until": ""})
    db.session.expire_all()
    assert db.session.get(Event, event.id).answers_editable_until is None


def test_deleting_the_account_removes_sensitive_answers(client, login, app):
    past = make_event(starts_in=timedelta(days=-10))
    access = services.add_preset(organiser(), past, "access")
    dietary = services.add_preset(organiser(), past, "dietary")
    user = make_delegate()
    registration = make_registration(past, user=user)
    data = {f"q-{access.id}": "Wheelchair user", f"q-{dietary.id}": ["Vegan"]}
    services.save_answers(
        registration, services.parse_answers([access, dietary], registration.ticket_type_id, data)
    )
    db.session.commit()
    login(user)
    response = client.post("/me/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 303
    assert services.access_needs(registration.id) is None
    left = services.answers_by_registration([registration.id])[registration.id]
    assert list(left) == [dietary.id]


def test_passing_on_a_place_clears_the_previous_holders_answers(client, login, event):
    delegate = _delegate(login)
    registration = make_registration(event, user=delegate)
    services.save_answers(
        registration,
        services.parse_answers(
            services.questions_for(event.id), registration.ticket_type_id,
            _answers(event, access="Wheelchair"),
        ),
    )  # fmt: skip
    colleague = make_user(organisation=delegate.organisation)
    db.session.commit()
    response = client.post(
        f"/me/registrations/{registration.id}/transfer", data={"email": colleague.email}
    )
    assert response.status_code == 303
    assert services.answers_by_registration([registration.id]) == {}


def test_the_demo_conference_asks_dietary_access_and_consent(app, client, login):
    seed_demo()
    db.session.commit()
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    labels = [q.label for q in services.questions_for(conference.id)]
    assert labels == ["Dietary requirements", "Access needs", "I agree to the programme's terms"]
    _delegate(login)
    page = client.get(f"/events/{conference.slug}/register").text
    assert '<label class="form-check-label" for="q-' in page
    assert ">Dietary requirements" in page and ">Access needs" in page
    _organiser(login)
    header = client.get(f"/organiser/events/{conference.id}/registrations.csv").text.splitlines()[0]
    assert header.endswith("Dietary requirements,Access needs,I agree to the programme's terms")
