"""The benchmark questionnaire: versioned data files, loaded and checked once, plus input cleaning.

Pure: no Flask, no database. The questionnaire itself lives in YAML next to this module
(``questionnaire_v1.yaml`` and so on); see that file's header for the rules of versioning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from app.benchmark.sic import VALID_DIVISIONS

CURRENT_VERSION = "2026.1"
# Version -> data file. Add a new file (never rewrite an old one) when the meaning changes.
VERSION_FILES: dict[str, str] = {"2026.1": "questionnaire_v1.yaml"}

DONT_KNOW = "dk"
LEVELS = (0, 1, 2, 3, 4)
MIN_QUESTIONS, MAX_QUESTIONS = 3, 4
METRIC_KINDS = ("money", "number", "percent", "sic")

_PILLAR_KEY = re.compile(r"[a-z][a-z0-9_]*")
_QUESTION_KEY = re.compile(r"([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*")


class QuestionnaireError(ValueError):
    """The questionnaire data file is malformed."""


class AnswerError(ValueError):
    """Answers for a pillar are incomplete or off the scale.

    ``missing`` and ``invalid`` hold question keys in questionnaire order; ``errors`` maps each
    of those keys to a message for the form.
    """

    def __init__(self, missing: tuple[str, ...], invalid: tuple[str, ...]) -> None:
        self.missing = missing
        self.invalid = invalid
        self.errors: dict[str, str] = dict.fromkeys(missing, "Choose an answer.")
        self.errors.update(dict.fromkeys(invalid, "Choose one of the answers shown."))
        parts = []
        if missing:
            parts.append("unanswered: " + ", ".join(missing))
        if invalid:
            parts.append("not on the 0–4 scale: " + ", ".join(invalid))
        super().__init__("; ".join(parts))


class MetricsError(ValueError):
    """Business metrics were refused; ``errors`` maps field key -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    answers: tuple[str, ...]  # five answers, for levels 0..4


@dataclass(frozen=True)
class Pillar:
    key: str
    title: str
    description: str
    questions: tuple[Question, ...]

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)


@dataclass(frozen=True)
class MetricField:
    key: str
    label: str
    help: str
    kind: str  # money | number | percent | sic
    unit: str
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False  # True: the minimum itself is refused (FTE must be above 0)


@dataclass(frozen=True)
class Questionnaire:
    version: str
    pillars: tuple[Pillar, ...]
    metrics: tuple[MetricField, ...]
    title: str = "Productivity benchmark"

    def pillar(self, key: str) -> Pillar:
        """The pillar with this key; KeyError if there is none."""
        for pillar in self.pillars:
            if pillar.key == key:
                return pillar
        raise KeyError(key)

    @property
    def pillar_keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.pillars)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for p in self.pillars for q in p.questions)

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)


# --- loading -------------------------------------------------------------------------------


def load_questionnaire(version: str = CURRENT_VERSION) -> Questionnaire:
    """Load, check and cache one version of the questionnaire."""
    # Cached on the positional version only, so load_questionnaire() and
    # load_questionnaire("2026.1") share one entry.
    return _load(version)


@cache
def _load(version: str) -> Questionnaire:
    try:
        filename = VERSION_FILES[version]
    except KeyError:
        known = ", ".join(sorted(VERSION_FILES))
        raise QuestionnaireError(
            f"unknown questionnaire version {version!r} (known: {known})"
        ) from None
    path = Path(__file__).with_name(filename)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questionnaire = parse_questionnaire(data, source=filename)
    if questionnaire.version != version:
        raise QuestionnaireError(
            f"{filename}: declares version {questionnaire.version!r}, registered as {version!r}"
        )
    return questionnaire


def current_questionnaire() -> Questionnaire:
    return load_questionnaire(CURRENT_VERSION)


def parse_questionnaire(data: Any, source: str = "questionnaire") -> Questionnaire:
    """Build a Questionnaire from parsed YAML, raising QuestionnaireError on any problem."""

    def fail(where: str, problem: str) -> QuestionnaireError:
        return QuestionnaireError(f"{source}: {where}: {problem}")

    def text(mapping: Mapping[str, Any], field: str, where: str) -> str:
        value = mapping.get(field)
        if not isinstance(value, str) or not value.strip():
            raise fail(where, f"'{field}' must be a non-empty string")
        return value.strip()

    if not isinstance(data, Mapping):
        raise fail("top level", "expected a mapping")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise fail("top level", "'version' must be a quoted string such as \"2026.1\"")
    raw_pillars = data.get("pillars")
    if not isinstance(raw_pillars, list) or not raw_pillars:
        raise fail("top level", "'pillars' must be a non-empty list")

    seen: set[str] = set()
    pillars = []
    for index, raw_pillar in enumerate(raw_pillars):
        where = f"pillar #{index + 1}"
        if not isinstance(raw_pillar, Mapping):
            raise fail(where, "expected a mapping")
        key = text(raw_pillar, "key", where)
        where = f"pillar {key!r}"
        if not _PILLAR_KEY.fullmatch(key) or key == "overall":
            raise fail(where, "key must be lower-case letters, digits or _ (and not 'overall')")
        if key in seen:
            raise fail(where, "key is repeated")
        seen.add(key)
        raw_questions = raw_pillar.get("questions")
        if not isinstance(raw_questions, list):
            raise fail(where, "'questions' must be a list")
        if not MIN_QUESTIONS <= len(raw_questions) <= MAX_QUESTIONS:
            raise fail(
                where,
                f"has {len(raw_questions)} questions; "
                f"each pillar needs {MIN_QUESTIONS} to {MAX_QUESTIONS}",
            )
        questions = []
        for q_index, raw_question in enumerate(raw_questions):
            q_where = f"{where}, question #{q_index + 1}"
            if not isinstance(raw_question, Mapping):
                raise fail(q_where, "expected a mapping")
            q_key = text(raw_question, "key", q_where)
            q_where = f"question {q_key!r}"
            match = _QUESTION_KEY.fullmatch(q_key)
            if not match or match.group(1) != key:
                raise fail(q_where, f"key must look like '{key}.something'")
            if q_key in seen:
                raise fail(q_where, "key is repeated")
            seen.add(q_key)
            answers = raw_question.get("answers")
            if not isinstance(answers, list) or len(answers) != len(LEVELS):
                count = len(answers) if isinstance(answers, list) else 0
                raise fail(
                    q_where, f"has {count} answers; needs exactly {len(LEVELS)} (levels 0 to 4)"
                )
            if not all(isinstance(a, str) and a.strip() for a in answers):
                raise fail(q_where, "every answer must be a non-empty string")
            questions.append(
                Question(
                    key=q_key,
                    text=text(raw_question, "text", q_where),
                    answers=tuple(a.strip() for a in answers),
                )
            )
        pillars.append(
            Pillar(
                key=key,
                title=text(raw_pillar, "title", where),
                description=text(raw_pillar, "description", where),
                questions=tuple(questions),
            )
        )

    metrics = []
    metric_keys: set[str] = set()
    for index, raw_metric in enumerate(data.get("metrics") or []):
        where = f"metric #{index + 1}"
        if not isinstance(raw_metric, Mapping):
            raise fail(where, "expected a mapping")
        key = text(raw_metric, "key", where)
        where = f"metric {key!r}"
        if key in metric_keys:
            raise fail(where, "key is repeated")
        metric_keys.add(key)
        kind = raw_metric.get("kind")
        if kind not in METRIC_KINDS:
            raise fail(where, f"'kind' must be one of {', '.join(METRIC_KINDS)}")
        bounds = {}
        for bound in ("min", "max"):
            value = raw_metric.get(bound)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise fail(where, f"'{bound}' must be a number")
            bounds[bound] = value
        if kind != "sic" and (bounds["min"] is None or bounds["max"] is None):
            raise fail(where, "numeric metrics need both 'min' and 'max'")
        metrics.append(
            MetricField(
                key=key,
                label=text(raw_metric, "label", where),
                help=text(raw_metric, "help", where),
                kind=kind,
                unit=str(raw_metric.get("unit") or ""),
                min=bounds["min"],
                max=bounds["max"],
                min_exclusive=bool(raw_metric.get("min_exclusive", False)),
            )
        )

    title = data.get("title")
    return Questionnaire(
        version=version,
        pillars=tuple(pillars),
        metrics=tuple(metrics),
        title=title.strip()
        if isinstance(title, str) and title.strip()
        else "Productivity benchmark",
    )


# --- answers -------------------------------------------------------------------------------


def validate_answers(
    questionnaire: Questionnaire, pillar_key: str, raw: Mapping[str, str]
) -> dict[str, int | None]:
    """Clean one pillar's answers from a form: question key -> level 0..4, or None for "dk".

    Keys in ``raw`` that are not this pillar's questions (other pillars, the CSRF token) are
    ignored. Raises KeyError for an unknown pillar and AnswerError naming every question that is
    unanswered or not on the scale.
    """
    pillar = questionnaire.pillar(pillar_key)
    cleaned: dict[str, int | None] = {}
    missing: list[str] = []
    invalid: list[str] = []
    for key in pillar.question_keys:
        value = raw.get(key)
        value = value.strip() if isinstance(value, str) else value
        if value is None or value == "":
            missing.append(key)
        elif value == DONT_KNOW:
            cleaned[key] = None
        elif isinstance(value, str) and value in {str(level) for level in LEVELS}:
            cleaned[key] = int(value)
        elif isinstance(value, int) and not isinstance(value, bool) and value in LEVELS:
            cleaned[key] = value
        else:
            invalid.append(key)
    if missing or invalid:
        raise AnswerError(tuple(missing), tuple(invalid))
    return cleaned


# --- metrics -------------------------------------------------------------------------------

# Digits with an optional decimal part; thousands separators are handled before this.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_EXAMPLES = {"money": "2500000", "number": "42.5", "percent": "85"}


def validate_metrics(
    raw: Mapping[str, str | None], questionnaire: Questionnaire | None = None
) -> tuple[dict[str, int | float | str | None], list[str]]:
    """Clean the optional business metrics step.

    Returns (cleaned, warnings). ``cleaned`` has every metric key of the questionnaire (current
    version by default): money as whole pounds (int), FTE and percentages as float, the SIC
    division as a two-digit string, and None for anything left blank. Raises MetricsError
    (field -> message) if any value is refused. Bought-in purchases above turnover are allowed,
    because a loss-making year is possible, but produce a warning asking the user to check.
    """
    fields = (questionnaire or current_questionnaire()).metrics
    cleaned: dict[str, int | float | str | None] = {}
    errors: dict[str, str] = {}
    for field in fields:
        value = raw.get(field.key)
        text = "" if value is None else str(value).strip()
        if not text:
            cleaned[field.key] = None
            continue
        try:
            cleaned[field.key] = _clean_metric(field, text)
        except ValueError as exc:
            errors[field.key] = str(exc)
    if errors:
        raise MetricsError(errors)

    warnings = []
    turnover, purchases = cleaned.get("turnover_gbp"), cleaned.get("purchases_gbp")
    if isinstance(turnover, int) and isinstance(purchases, int) and purchases > turnover:
        warnings.append(
            f"Bought-in goods and services (£{purchases:,}) are more than annual turnover "
            f"(£{turnover:,}), which would mean the business added no value that year. "
            "Please check both figures."
        )
    return cleaned, warnings


def _clean_metric(field: MetricField, text: str) -> int | float | str:
    if field.kind == "sic":
        if not (len(text) == 2 and text.isascii() and text.isdigit()):
            raise ValueError(
                f"{field.label}: enter the two-digit SIC division, for example 25 "
                "(the first two digits of your SIC code)."
            )
        if text not in VALID_DIVISIONS:
            raise ValueError(f"{field.label}: {text} is not a SIC 2007 division.")
        return text

    number = _parse_number(field, text)
    if number < 0:
        raise ValueError(f"{field.label} cannot be negative.")
    # Both bounds are checked on load for numeric kinds.
    assert field.min is not None
    assert field.max is not None
    low, high = Decimal(str(field.min)), Decimal(str(field.max))
    if field.min_exclusive and number <= low:
        raise ValueError(f"{field.label} must be more than {field.min:g}.")
    if number < low:
        raise ValueError(f"{field.label} must be at least {field.min:g}.")
    if number > high:
        if field.kind == "percent":
            raise ValueError(f"{field.label} must be a percentage from 0 to 100.")
        most = f"£{high:,}" if field.kind == "money" else f"{high:,}"
        raise ValueError(f"{field.label} looks too large: the most we accept is {most}.")
    if field.kind == "money":
        return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return float(number)


def _parse_number(field: MetricField, text: str) -> Decimal:
    """Parse a plain decimal, tolerating a £ or % sign and thousands commas (1,250,000)."""
    cleaned = text.replace(" ", "")
    negative = cleaned.startswith("-")
    if cleaned.startswith(("-", "+")):
        cleaned = cleaned[1:]
    if field.kind == "money":
        cleaned = cleaned.removeprefix("£")
    elif field.kind == "percent":
        cleaned = cleaned.removesuffix("%")
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    # A strict pattern, because Decimal() alone would also accept "NaN", "Infinity" and "1e9".
    if not _DECIMAL.fullmatch(cleaned):
        example = _EXAMPLES[field.kind]
        raise ValueError(f"{field.label}: enter a number, for example {example}.")
    number = Decimal(cleaned)
    return -number if negative and number else number  # "-0" is just 0
