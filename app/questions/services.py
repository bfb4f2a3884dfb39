"""Registration questions: organisers' rules for asking, and the delegates' answers.

Views parse the answers (parse_answers) before registering anyone, so a bad answer writes
nothing, then store them (save_answers) on the new registration in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from app.auth.models import User
from app.events.models import Event, EventKind
from app.extensions import db
from app.questions.models import (
    CHOICE_KINDS,
    QuestionKind,
    RegistrationAnswer,
    RegistrationQuestion,
)
from app.registration.models import ENDED, Registration
from app.timeutil import utcnow

K = QuestionKind
OTHER = "Other"
MAX_QUESTIONS = 30
MAX_CHOICES = 30
TEXT_LIMITS = {K.SHORT_TEXT: 200, K.LONG_TEXT: 2000}
OTHER_LIMIT = 200

ACCESS_HELP = (
    "Anything that would help you take part: step-free access, a hearing loop, seating, a "
    "quiet room, a companion."
)

PRESETS = {
    "dietary": {
        "label": "Dietary requirements",
        "kind": K.MULTIPLE_CHOICE,
        "help_text": "For the lunch and any dinner. Choose all that apply.",
        "choices": [
            "No special requirements",
            "Vegetarian",
            "Vegan",
            "Gluten-free",
            "Dairy-free",
            "Nut allergy",
            "Halal",
            "Kosher",
        ],
        "allow_other": True,
        "sensitive": False,
    },
    "access": {
        "label": "Access needs",
        "kind": K.LONG_TEXT,
        # Who sees the answer is said beside the question (who_sees), per event.
        "help_text": ACCESS_HELP,
        "sensitive": True,
    },
}


def who_sees(question: RegistrationQuestion, event: Event) -> str:
    """Who sees the answer to a sensitive question, as the form says it beside the question.
    Access needs go to the door (door_list, search) and, on a hosted site visit, to its host's
    gatehouse list, because they are the ones who must provide for them; every other
    sensitive answer stays with the organisers."""
    if question.preset != "access":
        return "only the organisers see this"
    if event.kind == EventKind.SITE_VISIT and event.host_organisation_id is not None:
        return "seen by the organisers, the door staff and the host business, to provide for it"
    return "seen by the organisers and the door staff, to provide for it"


class QuestionError(ValueError):
    """An organiser's question that cannot be saved, or an answer that cannot be changed."""


# --- organisers' questions ---------------------------------------------------------------


def questions_for(event_id: int) -> list[RegistrationQuestion]:
    return list(
        db.session.execute(
            select(RegistrationQuestion)
            .where(RegistrationQuestion.event_id == event_id)
            .order_by(RegistrationQuestion.position, RegistrationQuestion.id)
        ).scalars()
    )


def events_with_questions(event_ids) -> set[int]:
    ids = list(event_ids)
    if not ids:
        return set()
    return set(
        db.session.execute(
            select(RegistrationQuestion.event_id)
            .where(RegistrationQuestion.event_id.in_(ids))
            .distinct()
        ).scalars()
    )


def _check(question: RegistrationQuestion, event: Event) -> None:
    if question.kind not in set(K):
        raise QuestionError("Choose what kind of question it is.")
    if not question.label.strip():
        raise QuestionError("Give the question a label.")
    if question.kind in CHOICE_KINDS:
        if len(question.choices) + question.allow_other < 2:
            raise QuestionError("A choice question needs at least two choices.")
        if len(question.choices) > MAX_CHOICES:
            raise QuestionError(f"A question can offer at most {MAX_CHOICES} choices.")
        if len({c.casefold() for c in question.choices}) != len(question.choices):
            raise QuestionError("Each choice must be different.")
        if question.allow_other and OTHER.casefold() in {c.casefold() for c in question.choices}:
            raise QuestionError(f'"{OTHER}" is added for you when other answers are allowed.')
    else:
        question.choices, question.allow_other = [], False
    if question.kind == K.CONSENT:
        question.required = True  # a consent is the point of asking
        if not (question.link_url or question.terms_text.strip()):
            raise QuestionError("A consent needs the text it agrees to: a link or the terms.")
        if question.link_url and urlsplit(question.link_url).scheme not in ("https", "http"):
            raise QuestionError("The link must start with https:// or http://.")
    else:
        question.link_url, question.terms_text = "", ""
    own = {t.id for t in event.ticket_types}
    if not set(question.ticket_type_ids) <= own:
        raise QuestionError("Those ticket types are not this event's.")


def save_question(
    actor: User, event: Event, question: RegistrationQuestion | None = None, **values
) -> RegistrationQuestion:
    """Add a question to `event` (or change `question`) from the organiser's `values`."""
    if question is None:
        count = db.session.scalar(
            select(func.count()).where(RegistrationQuestion.event_id == event.id)
        )
        if count >= MAX_QUESTIONS:
            raise QuestionError(f"An event can ask at most {MAX_QUESTIONS} questions.")
        last = db.session.scalar(
            select(func.max(RegistrationQuestion.position)).where(
                RegistrationQuestion.event_id == event.id
            )
        )
        question = RegistrationQuestion(event_id=event.id, position=(last or 0) + 1)
    elif question.event_id != event.id:
        raise QuestionError("That question is not this event's.")
    choices = values.pop("choices", None)
    if choices is not None:
        values["choices"] = [c.strip() for c in choices if c.strip()]
    values.setdefault("ticket_type_ids", question.ticket_type_ids or [])
    for name, value in values.items():
        setattr(question, name, value)
    question.label = (question.label or "").strip()
    question.help_text = question.help_text or ""
    question.link_url = (question.link_url or "").strip()
    question.terms_text = question.terms_text or ""
    question.choices = question.choices or []
    for flag in ("required", "allow_other", "sensitive"):
        setattr(question, flag, bool(getattr(question, flag)))
    question.event = event
    _check(question, event)
    db.session.add(question)
    db.session.flush()
    return question


def add_preset(actor: User, event: Event, preset: str) -> RegistrationQuestion:
    if preset not in PRESETS:
        raise QuestionError("There is no such preset.")
    taken = db.session.scalar(
        select(RegistrationQuestion.id).where(
            RegistrationQuestion.event_id == event.id, RegistrationQuestion.preset == preset
        )
    )
    if taken is not None:
        raise QuestionError(f"This event already asks “{PRESETS[preset]['label']}”.")
    return save_question(actor, event, preset=preset, **PRESETS[preset])


def move_question(actor: User, question: RegistrationQuestion, step: int) -> None:
    """Swap `question` with its neighbour above (step -1) or below (+1)."""
    siblings = questions_for(question.event_id)
    at = siblings.index(question)
    other = at + step
    if step not in (-1, 1) or not 0 <= other < len(siblings):
        return
    siblings[at], siblings[other] = siblings[other], siblings[at]
    for position, q in enumerate(siblings, start=1):
        q.position = position
    db.session.flush()


def delete_question(actor: User, question: RegistrationQuestion) -> int:
    """Delete a question with its answers; returns how many answers went with it."""
    gone = db.session.execute(
        delete(RegistrationAnswer).where(RegistrationAnswer.question_id == question.id)
    ).rowcount
    db.session.delete(question)
    db.session.flush()
    return gone or 0


def set_answers_cutoff(actor: User, event: Event, until: datetime | None) -> None:
    if until is not None and until > event.ends_at:
        raise QuestionError("The cut-off must be before the event ends.")
    event.answers_editable_until = until
    db.session.flush()


def answers_cutoff(event: Event) -> datetime:
    return event.answers_editable_until or event.starts_at


# --- answers ---------------------------------------------------------------------------


@dataclass
class ParsedAnswers:
    values: dict[int, tuple[str | list | bool, str]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_name(question: RegistrationQuestion) -> str:
    return f"q-{question.id}"


def parse_answers(
    questions: list[RegistrationQuestion], ticket_type_id: int | None, form: Mapping
) -> ParsedAnswers:
    """Read answers to `questions` (those asked of `ticket_type_id`) from form data.

    `form` is a werkzeug MultiDict (or a dict of lists). Returns the values to store and,
    per question, what is wrong with its answer."""
    parsed = ParsedAnswers()

    def get_list(name: str) -> list[str]:
        if hasattr(form, "getlist"):
            return [v for v in form.getlist(name) if isinstance(v, str)]
        raw = form.get(name, [])
        return [raw] if isinstance(raw, str) else [v for v in raw if isinstance(v, str)]

    for q in questions:
        if not q.applies_to(ticket_type_id):
            continue
        name = field_name(q)
        given = [v.strip() for v in get_list(name) if v.strip()]
        other = " ".join(get_list(f"{name}-other")).strip()
        value: str | list | bool | None = None
        error = None
        if q.kind in TEXT_LIMITS:
            text = given[0] if given else ""
            if len(text) > TEXT_LIMITS[q.kind]:
                error = f"Keep this under {TEXT_LIMITS[q.kind]} characters."
            value = text or None
        elif q.kind in CHOICE_KINDS:
            allowed = [*q.choices, *([OTHER] if q.allow_other else [])]
            picked = [c for c in allowed if c in given]
            if len(picked) != len(set(given)):
                error = "Choose from the options shown."
            elif q.kind == K.SINGLE_CHOICE and len(picked) > 1:
                error = "Choose one option."
            elif OTHER in picked and not other:
                error = f"You chose “{OTHER}”: say what."
            elif len(other) > OTHER_LIMIT:
                error = f"Keep this under {OTHER_LIMIT} characters."
            if picked:
                value = picked if q.kind == K.MULTIPLE_CHOICE else picked[0]
            if OTHER not in picked:
                other = ""
        elif q.kind == K.YES_NO:
            if given and given[0] not in ("yes", "no"):
                error = "Answer yes or no."
            value = given[0] if given else None
        elif q.kind == K.CONSENT:
            value = True if given else None
        if error is None and value is None and q.required:
            error = (
                "Tick this box to register."
                if q.kind == K.CONSENT
                else "This question needs an answer."
            )
        if error:
            parsed.errors[q.id] = error
        elif value is not None:
            parsed.values[q.id] = (value, other)
    return parsed


def save_answers(registration: Registration, parsed: ParsedAnswers) -> None:
    """Store `parsed` as the registration's answers, replacing any it had (a question left
    empty loses its old answer)."""
    if not parsed.ok:
        raise QuestionError("Some answers need correcting.")
    db.session.execute(
        delete(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id)
    )
    for question_id, (value, other) in parsed.values.items():
        db.session.add(
            RegistrationAnswer(
                registration_id=registration.id, question_id=question_id, value=value, other=other
            )
        )
    db.session.flush()


def clear_answers(registration: Registration) -> None:
    """Forget a registration's answers (its place passed to someone who answers afresh)."""
    db.session.execute(
        delete(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id)
    )
    db.session.flush()


def can_edit_answers(registration: Registration, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return registration.status not in ENDED and now < answers_cutoff(registration.event)


def update_answers(
    actor: User, registration: Registration, parsed: ParsedAnswers, now: datetime | None = None
) -> None:
    """The delegate changes their answers, until the organiser's cut-off."""
    if actor.id != registration.user_id:
        raise QuestionError("Only the delegate can change their answers.")
    if registration.status in ENDED:
        raise QuestionError("This registration is cancelled: there is nothing to change.")
    if not can_edit_answers(registration, now):
        raise QuestionError(
            "Answers can no longer be changed for this event: please contact the organisers."
        )
    save_answers(registration, parsed)


def answers_by_registration(registration_ids) -> dict[int, dict[int, RegistrationAnswer]]:
    """{registration id: {question id: answer}} in one query."""
    out: dict[int, dict[int, RegistrationAnswer]] = {}
    ids = list(registration_ids)
    if not ids:
        return out
    for answer in db.session.execute(
        select(RegistrationAnswer).where(RegistrationAnswer.registration_id.in_(ids))
    ).scalars():
        out.setdefault(answer.registration_id, {})[answer.question_id] = answer
    return out


def display(answer: RegistrationAnswer | None) -> str:
    """An answer as one line of text, for pages and the CSV."""
    if answer is None:
        return ""
    value = answer.value
    if value is True:
        return "Agreed"
    items = value if isinstance(value, list) else [value]
    return "; ".join(
        f"{OTHER}: {answer.other}" if item == OTHER and answer.other else str(item)
        for item in items
    )


def form_values(answers: Mapping[int, RegistrationAnswer]) -> dict[str, list[str]]:
    """Stored answers as the form data that would give them, to pre-fill the edit form."""
    data: dict[str, list[str]] = {}
    for question_id, answer in answers.items():
        name = f"q-{question_id}"
        value = answer.value
        data[name] = ["on"] if value is True else value if isinstance(value, list) else [value]
        if answer.other:
            data[f"{name}-other"] = [answer.other]
    return data


@dataclass
class QuestionSummary:
    question: RegistrationQuestion
    answered: int
    counts: list[tuple[str, int]]  # choices in the question's order, then "Other"
    texts: list[tuple[str, str]]  # (delegate's name, answer) for text questions and "Other"


def summarise(event: Event) -> list[QuestionSummary]:
    """Per question, how live registrations answered (e.g. 14 vegetarian, 3 gluten-free),
    in a fixed number of queries."""
    questions = questions_for(event.id)
    rows = db.session.execute(
        select(RegistrationAnswer, User.name)
        .join(Registration, Registration.id == RegistrationAnswer.registration_id)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id, Registration.status.not_in(ENDED))
        .order_by(User.name, Registration.id)
    ).all()
    by_question: dict[int, list[tuple[RegistrationAnswer, str]]] = {}
    for answer, name in rows:
        by_question.setdefault(answer.question_id, []).append((answer, name))
    out = []
    for q in questions:
        answers = by_question.get(q.id, [])
        counter: Counter[str] = Counter()
        texts = []
        for answer, name in answers:
            value = answer.value
            if q.kind in TEXT_LIMITS:
                texts.append((name, str(value)))
                continue
            for item in value if isinstance(value, list) else [value]:
                counter["Agreed" if item is True else str(item)] += 1
            if answer.other:
                texts.append((name, answer.other))
        order = {
            K.YES_NO: ["yes", "no"],
            K.CONSENT: ["Agreed"],
        }.get(q.kind, [*q.choices, *([OTHER] if q.allow_other else [])])
        counts = [(label, counter.get(label, 0)) for label in order]
        out.append(QuestionSummary(q, len(answers), counts, texts))
    return out


def access_needs(registration_id: int) -> str | None:
    """The attendee's answer to the event's *Access needs* question, for whoever looks after
    them at the door; None when they gave none. Sensitive: show it to staff only."""
    answer = db.session.execute(
        select(RegistrationAnswer)
        .join(RegistrationQuestion, RegistrationQuestion.id == RegistrationAnswer.question_id)
        .where(
            RegistrationAnswer.registration_id == registration_id,
            RegistrationQuestion.preset == "access",
        )
    ).scalar_one_or_none()
    return display(answer) or None


def access_needs_of(registration_ids: list[int]) -> dict[int, str]:
    """`access_needs` for many registrations at once (one query): {registration id: text},
    only those who gave an answer. Sensitive: for staff at the door and organisers."""
    if not registration_ids:
        return {}
    answers = db.session.execute(
        select(RegistrationAnswer)
        .join(RegistrationQuestion, RegistrationQuestion.id == RegistrationAnswer.question_id)
        .where(
            RegistrationAnswer.registration_id.in_(registration_ids),
            RegistrationQuestion.preset == "access",
        )
    ).scalars()
    return {a.registration_id: text for a in answers if (text := display(a))}


def erase_sensitive_answers(user_id: int) -> int:
    """Delete every sensitive answer a delegate gave (their account is being deleted)."""
    sensitive = select(RegistrationQuestion.id).where(RegistrationQuestion.sensitive.is_(True))
    mine = select(Registration.id).where(Registration.user_id == user_id)
    gone = db.session.execute(
        delete(RegistrationAnswer).where(
            RegistrationAnswer.question_id.in_(sensitive),
            RegistrationAnswer.registration_id.in_(mine),
        )
    ).rowcount
    db.session.flush()
    return gone or 0
