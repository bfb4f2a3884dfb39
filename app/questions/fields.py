"""Registration questions as what a form shows: names, options, given values and errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.events.models import Event
from app.questions.models import QuestionKind, RegistrationQuestion
from app.questions.services import OTHER, field_name, who_sees

K = QuestionKind


@dataclass
class QuestionField:
    q: RegistrationQuestion
    name: str
    options: list[tuple[str, str]]  # (value, label) for choices and yes/no
    input_type: str  # text | textarea | checkbox | radio | consent
    given: list[str]
    other: str
    error: str | None
    ticket_note: str
    described_by: str
    seen_by: str  # who sees a sensitive answer (who_sees); "" for the others


def _getlist(data, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return list(data.getlist(name))
    value = data.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def question_fields(
    questions: list[RegistrationQuestion],
    data: Mapping,
    errors: Mapping[int, str],
    ticket_names: Mapping[int, str],
    event: Event,
) -> list[QuestionField]:
    out = []
    for q in questions:
        name = field_name(q)
        if q.kind == K.YES_NO:
            options, input_type = [("yes", "Yes"), ("no", "No")], "radio"
        elif q.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
            options = [(c, c) for c in q.choices] + ([(OTHER, OTHER)] if q.allow_other else [])
            input_type = "checkbox" if q.kind == K.MULTIPLE_CHOICE else "radio"
        else:
            options = []
            input_type = {K.SHORT_TEXT: "text", K.LONG_TEXT: "textarea"}.get(q.kind, "consent")
        note = ""
        if q.ticket_type_ids:
            names = ", ".join(ticket_names.get(i, "?") for i in q.ticket_type_ids)
            note = f"Asked with {names} tickets only."
        error = errors.get(q.id)
        described = [f"{name}-help"] if (q.help_text or note) else []
        if error:
            described.append(f"{name}-error")
        out.append(
            QuestionField(
                q=q, name=name, options=options, input_type=input_type,
                given=_getlist(data, name), other=" ".join(_getlist(data, f"{name}-other")),
                error=error, ticket_note=note, described_by=" ".join(described),
                seen_by=who_sees(q, event) if q.sensitive else "",
            )
        )  # fmt: skip
    return out
