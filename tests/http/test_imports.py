"""CSV import of delegates: a dry run reporting every row, then all rows registered through
the normal rules (seats, benchmark gate, emails, answers) or none."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db
from app.questions.models import RegistrationAnswer, RegistrationQuestion
from app.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_user
from tests.factories_checkin import make_registration


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def setup(client, login):
    organiser = make_user(Role.ORGANISER)
    event = make_event(title="Lean Day", capacity=10)
    db.session.add(
        RegistrationQuestion(
            event_id=event.id,
            label="Dietary",
            kind="multiple_choice",
            choices=["Vegetarian", "Vegan", "Halal"],
            required=False,
        )
    )
    db.session.add(RegistrationQuestion(event_id=event.id, label="Consent", kind="consent",
                                        required=True))  # fmt: skip
    db.session.commit()
    login(organiser)
    return {"organiser": organiser, "event": event}


def _check(client, event, text: str):
    page = client.get(f"/organiser/events/{event.id}/import")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        f"/organiser/events/{event.id}/import",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "delegates.csv")},
        content_type="multipart/form-data",
    )


def _run(client, event, text: str):
    page = client.get(f"/organiser/events/{event.id}/import")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        f"/organiser/events/{event.id}/import/run", data={"csrf_token": token, "csv": text}
    )


GOOD = (
    "Email,Name,Organisation,Ticket type,Dietary,Consent\n"
    "ann@example.com,Ann Able,Able Works,Delegate,Vegan;Halal,yes\n"
    "bob@example.com,Bob Baker,Baker Ltd,,,yes\n"
)


def test_dry_run_then_everyone_registered_with_answers(client, setup, outbox):
    event = setup["event"]
    checked = _check(client, event, GOOD)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "2 rows" in html and html.count("new account, registered") == 2
    assert "Register 2 delegates" in html
    assert _count(Registration) == 0 and _count(User) == 1  # nothing written yet

    done = _run(client, event, GOOD)
    assert done.status_code == 303
    regs = db.session.execute(select(Registration).order_by(Registration.id)).scalars().all()
    assert [(r.user.email, r.user.name, r.status) for r in regs] == [
        ("ann@example.com", "Ann Able", "pending_benchmark"),  # the benchmark gate applies
        ("bob@example.com", "Bob Baker", "pending_benchmark"),
    ]
    assert regs[0].user.organisation.name == "Able Works"
    answers = (
        db.session.execute(
            select(RegistrationAnswer).where(RegistrationAnswer.registration_id == regs[0].id)
        )
        .scalars()
        .all()
    )
    assert sorted(str(a.value) for a in answers) == ["True", "['Vegan', 'Halal']"]
    assert {m["To"] for m in outbox} == {"ann@example.com", "bob@example.com"}
    db.session.refresh(event)
    assert event.seats_taken == 2


def test_bad_rows_are_reported_and_nothing_can_be_run(client, setup):
    event = setup["event"]
    existing = make_registration(event, make_user(email="carol@example.com"))
    db.session.commit()
    text = (
        "email,name,ticket type,dietary,consent\n"
        "not-an-email,X,,,yes\n"
        "dan@example.com,Dan,Gold,,yes\n"
        "eve@example.com,,,,yes\n"
        "carol@example.com,Carol,,,yes\n"
        "fay@example.com,Fay,,Pizza,yes\n"
        "gus@example.com,Gus,,,\n"
        "gus@example.com,Gus,,,yes\n"
    )
    checked = _check(client, event, text)
    html = checked.get_data(as_text=True).replace("&#34;", '"')
    assert checked.status_code == 422
    for words in [
        "“not-an-email” is not an email address.",
        "No ticket type called “Gold”.",
        "The name is missing: this email address has no account yet.",
        "Already registered for this event.",
        "Dietary: Choose from the options shown.",
        "Consent: Tick this box to register.",
        "The same email as line 7.",
        "7 rows, 7 to correct",
    ]:
        assert words in html, words
    assert "Register 7 delegates" not in html
    refused = _run(client, event, text)
    assert refused.status_code == 422
    assert "7 rows need correcting. Nothing was imported." in refused.get_data(as_text=True)
    assert _count(Registration) == 1 and existing.id


def test_the_seat_guarantee_stops_the_whole_import(client, setup, outbox):
    event = setup["event"]
    event.capacity = 1
    db.session.commit()
    outbox.clear()
    response = _run(client, event, GOOD)
    assert response.status_code == 422
    assert "Line 3 (bob@example.com)" in response.get_data(as_text=True)
    # All or nothing: Ann's registration and account went with the failed import.
    assert _count(Registration) == 0 and _count(User) == 1
    assert outbox == []
    db.session.refresh(event)
    assert event.seats_taken == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "Choose a CSV file"),
        (b"\xff\xfe\x00bad", "CSV UTF-8"),
        (b"email,organisation\nx@example.com,Y\n", "missing: name"),
        (b"email,name,email\n", "same heading"),
    ],
)
def test_unreadable_files_are_refused(client, setup, content, words):
    event = setup["event"]
    page = client.get(f"/organiser/events/{event.id}/import")
    token = csrf_token_from(page.get_data(as_text=True))
    data = {"csrf_token": token}
    if content:
        data["file"] = (io.BytesIO(content), "x.csv")
    response = client.post(
        f"/organiser/events/{event.id}/import", data=data, content_type="multipart/form-data"
    )
    assert response.status_code in (400, 422)
    assert words in response.get_data(as_text=True)
    assert _count(Registration) == 0


def test_only_organisers(client, login):
    event = make_event()
    db.session.commit()
    login(make_user())
    assert client.get(f"/organiser/events/{event.id}/import").status_code == 403
