"""Registration questions: organisers' rules, parsing answers, summaries and erasure."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.questions import services
from app.questions.models import RegistrationAnswer
from tests.factories import make_event, organiser
from tests.factories_checkin import make_registration


@pytest.fixture
def event(app):
    return make_event()


def _dietary(event):
    return services.add_preset(organiser(), event, "dietary")


def _parse(questions, data, ticket_type_id=None):
    ticket_type_id = ticket_type_id or questions[0].event.ticket_types[0].id
    return services.parse_answers(questions, ticket_type_id, MultiDict(data))


def test_presets_are_added_once_each(event):
    dietary = _dietary(event)
    access = services.add_preset(organiser(), event, "access")
    assert (dietary.kind, dietary.allow_other, dietary.sensitive) == (
        "multiple_choice",
        True,
        False,
    )
    assert "Vegetarian" in dietary.choices
    assert (access.kind, access.sensitive, access.preset) == ("long_text", True, "access")
    assert [q.label for q in services.questions_for(event.id)] == [
        "Dietary requirements",
        "Access needs",
    ]
    with pytest.raises(services.QuestionError, match="already asks “Dietary requirements”"):
        _dietary(event)
    with pytest.raises(services.QuestionError, match="no such preset"):
        services.add_preset(organiser(), event, "shoe-size")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"label": " ", "kind": "short_text"}, "Give the question a label"),
        ({"label": "Size", "kind": "nonsense"}, "what kind of question"),
        ({"label": "Size", "kind": "single_choice", "choices": ["S"]}, "at least two choices"),
        ({"label": "Size", "kind": "single_choice", "choices": ["S", "s"]}, "must be different"),
        (
            {
                "label": "Size",
                "kind": "single_choice",
                "choices": ["S", "Other"],
                "allow_other": True,
            },
            "added for you",
        ),  # fmt: skip
        ({"label": "Terms", "kind": "consent"}, "needs the text it agrees to"),
        (
            {"label": "Terms", "kind": "consent", "link_url": "javascript:alert(1)"},
            "must start with https://",
        ),
        ({"label": "Q", "kind": "short_text", "ticket_type_ids": [999999]}, "not this event's"),
    ],
)
def test_a_question_that_cannot_work_is_refused(event, values, message):
    with pytest.raises(services.QuestionError, match=message):
        services.save_question(organiser(), event, **values)


def test_consent_is_always_required_and_text_questions_drop_choices(event):
    consent = services.save_question(
        organiser(), event, label="Terms", kind="consent", terms_text="Be nice.", required=False
    )
    assert consent.required is True
    text = services.save_question(
        organiser(), event, label="Job", kind="short_text", choices=["a", "b"], allow_other=True
    )
    assert (text.choices, text.allow_other, text.position) == ([], False, consent.position + 1)


def test_answers_of_every_kind_are_parsed(event):
    q = {
        kind: services.save_question(organiser(), event, label=kind, kind=kind, **extra)
        for kind, extra in [
            ("short_text", {}),
            ("long_text", {}),
            ("single_choice", {"choices": ["Red", "Blue"]}),
            ("yes_no", {}),
            ("consent", {"link_url": "https://example.org/terms"}),
        ]
    }
    dietary = _dietary(event)
    questions = [*q.values(), dietary]
    parsed = _parse(
        questions,
        [
            (f"q-{q['short_text'].id}", "  Plant manager "),
            (f"q-{q['long_text'].id}", ""),
            (f"q-{q['single_choice'].id}", "Blue"),
            (f"q-{q['yes_no'].id}", "no"),
            (f"q-{q['consent'].id}", "on"),
            (f"q-{dietary.id}", "Vegan"),
            (f"q-{dietary.id}", "Other"),
            (f"q-{dietary.id}-other", "No mushrooms"),
        ],
    )
    assert parsed.errors == {}
    assert parsed.values == {
        q["short_text"].id: ("Plant manager", ""),
        q["single_choice"].id: ("Blue", ""),
        q["yes_no"].id: ("no", ""),
        q["consent"].id: (True, ""),
        dietary.id: (["Vegan", "Other"], "No mushrooms"),
    }


def test_bad_answers_get_one_message_each(event):
    colour = services.save_question(
        organiser(), event, label="Colour", kind="single_choice", choices=["Red", "Blue"],
        required=True,
    )  # fmt: skip
    name = services.save_question(organiser(), event, label="Name", kind="short_text")
    terms = services.save_question(
        organiser(), event, label="Terms", kind="consent", terms_text="Be nice."
    )
    yes_no = services.save_question(organiser(), event, label="Parking?", kind="yes_no")
    dietary = _dietary(event)
    parsed = _parse(
        [colour, name, terms, yes_no, dietary],
        [
            (f"q-{colour.id}", "Green"),
            (f"q-{name.id}", "x" * 201),
            (f"q-{yes_no.id}", "maybe"),
            (f"q-{dietary.id}", "Other"),
        ],
    )
    assert parsed.errors == {
        colour.id: "Choose from the options shown.",
        name.id: "Keep this under 200 characters.",
        terms.id: "Tick this box to register.",
        yes_no.id: "Answer yes or no.",
        dietary.id: "You chose “Other”: say what.",
    }
    two = _parse([colour], [(f"q-{colour.id}", "Red"), (f"q-{colour.id}", "Blue")])
    assert two.errors == {colour.id: "Choose one option."}
    missing = _parse([colour], [])
    assert missing.errors == {colour.id: "This question needs an answer."}


def test_questions_limited_to_a_ticket_type_are_only_asked_with_it(event):
    other_ticket = event.ticket_types[0]
    dinner = services.save_question(
        organiser(), event, label="Dinner starter", kind="short_text", required=True,
        ticket_type_ids=[other_ticket.id],
    )  # fmt: skip
    assert _parse([dinner], [], other_ticket.id).errors == {
        dinner.id: "This question needs an answer."
    }
    assert _parse([dinner], [(f"q-{dinner.id}", "Soup")], -1).values == {}


def test_answers_are_saved_shown_and_summarised(event):
    dietary = _dietary(event)
    access = services.add_preset(organiser(), event, "access")
    rows = [
        (["Vegetarian"], "", ""),
        (["Vegetarian", "Gluten-free"], "", "A hearing loop"),
        (["Other"], "Pescatarian", ""),
    ]
    registrations = []
    for i, (diet, other, need) in enumerate(rows):
        registration = make_registration(event, name=f"Person {i}")
        data = [(f"q-{dietary.id}", d) for d in diet] + [(f"q-{dietary.id}-other", other)]
        data.append((f"q-{access.id}", need))
        services.save_answers(registration, _parse([dietary, access], data))
        registrations.append(registration)
    cancelled = make_registration(event, status="cancelled")
    services.save_answers(cancelled, _parse([dietary], [(f"q-{dietary.id}", "Vegan")]))

    answers = services.answers_by_registration(r.id for r in registrations)
    assert services.display(answers[registrations[1].id][dietary.id]) == "Vegetarian; Gluten-free"
    assert services.display(answers[registrations[2].id][dietary.id]) == "Other: Pescatarian"
    assert services.access_needs(registrations[1].id) == "A hearing loop"
    assert services.access_needs(registrations[0].id) is None

    diet_summary, access_summary = services.summarise(event)
    counts = dict(diet_summary.counts)
    # The cancelled registration's vegan meal is not counted.
    assert (counts["Vegetarian"], counts["Gluten-free"], counts["Vegan"], counts["Other"]) == (
        2, 1, 0, 1,
    )  # fmt: skip
    assert diet_summary.answered == 3 and diet_summary.texts == [("Person 2", "Pescatarian")]
    assert access_summary.texts == [("Person 1", "A hearing loop")]


def test_saving_again_replaces_the_answers(event):
    dietary = _dietary(event)
    registration = make_registration(event)
    services.save_answers(registration, _parse([dietary], [(f"q-{dietary.id}", "Vegan")]))
    services.save_answers(registration, _parse([dietary], []))
    assert db.session.scalar(select(func.count()).select_from(RegistrationAnswer)) == 0
    with pytest.raises(services.QuestionError):
        services.save_answers(registration, _parse([dietary], [(f"q-{dietary.id}", "Chips")]))


def test_answers_can_be_changed_until_the_cut_off(event):
    dietary = _dietary(event)
    registration = make_registration(event)
    parsed = _parse([dietary], [(f"q-{dietary.id}", "Vegan")])
    event.answers_editable_until = event.starts_at - timedelta(days=3)
    before = event.starts_at - timedelta(days=4)
    after = event.starts_at - timedelta(days=2)
    assert services.can_edit_answers(registration, before)
    assert not services.can_edit_answers(registration, after)
    services.update_answers(registration.user, registration, parsed, before)
    with pytest.raises(services.QuestionError, match="no longer be changed"):
        services.update_answers(registration.user, registration, parsed, after)
    with pytest.raises(services.QuestionError, match="Only the delegate"):
        services.update_answers(organiser(), registration, parsed, before)
    with pytest.raises(services.QuestionError, match="before the event ends"):
        services.set_answers_cutoff(organiser(), event, event.ends_at + timedelta(minutes=1))
    event.answers_editable_until = None
    assert services.answers_cutoff(event) == event.starts_at


def test_questions_move_and_delete_with_their_answers(event):
    dietary = _dietary(event)
    access = services.add_preset(organiser(), event, "access")
    services.move_question(organiser(), access, -1)
    assert [q.id for q in services.questions_for(event.id)] == [access.id, dietary.id]
    services.move_question(organiser(), access, -1)  # already first: nothing moves
    assert [q.id for q in services.questions_for(event.id)] == [access.id, dietary.id]
    registration = make_registration(event)
    services.save_answers(registration, _parse([dietary], [(f"q-{dietary.id}", "Vegan")]))
    assert services.delete_question(organiser(), dietary) == 1
    assert [q.id for q in services.questions_for(event.id)] == [access.id]


def test_erasing_removes_only_sensitive_answers(event):
    dietary = _dietary(event)
    access = services.add_preset(organiser(), event, "access")
    registration = make_registration(event)
    data = [(f"q-{dietary.id}", "Vegan"), (f"q-{access.id}", "Step-free access")]
    services.save_answers(registration, _parse([dietary, access], data))
    assert services.erase_sensitive_answers(registration.user_id) == 1
    left = services.answers_by_registration([registration.id])[registration.id]
    assert list(left) == [dietary.id]
