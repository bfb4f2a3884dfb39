"""Benchmark scoring: pure functions from answers to scores and a band.

Arithmetic is exact (fractions) until the final rounding, and rounding is half-up, so a pillar
scoring 6.25 shows as 6.3 rather than Python's round-half-even 6.2. Bump SCORING_VERSION
whenever a change here would give a stored response a different result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from app.benchmark.questionnaire import LEVELS, Questionnaire

SCORING_VERSION = "1"

MAX_LEVEL = max(LEVELS)
# (inclusive upper bound, band), checked in order against the unrounded overall score.
BANDS: tuple[tuple[int, str], ...] = (
    (25, "Foundation"),
    (50, "Developing"),
    (75, "Established"),
    (100, "Advanced"),
)
BAND_NAMES: tuple[str, ...] = tuple(name for _, name in BANDS)


@dataclass(frozen=True)
class ScoreResult:
    pillar_scores: dict[str, float]  # pillar key -> 0..100, 1 dp, in questionnaire order
    overall: float  # mean of the pillar scores, 1 dp
    band: str
    dont_know: tuple[str, ...]  # question keys answered "don't know", in questionnaire order
    questionnaire_version: str
    scoring_version: str = SCORING_VERSION


def round_score(value: float | Fraction) -> float:
    """Round to one decimal place, halves away from zero (43.75 -> 43.8, 6.25 -> 6.3)."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value))  # repr: the shortest decimal that round-trips the float
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def band_for(score: float | Fraction) -> str:
    """The band for an overall score: <=25 Foundation, <=50 Developing, <=75 Established,
    otherwise Advanced. Pass the unrounded score where you have it."""
    if not 0 <= score <= 100:
        raise ValueError(f"score must be between 0 and 100, got {score!r}")
    for upper, name in BANDS:
        if score <= upper:
            return name
    raise AssertionError("unreachable: the last band ends at 100")


def score(questionnaire: Questionnaire, answers: Mapping[str, int | None]) -> ScoreResult:
    """Score a complete set of answers (question key -> level 0..4, or None for don't know).

    A pillar's score is its mean level / 4 x 100, with don't know counted as 0; the overall
    score is the mean of the pillar scores, so every pillar weighs the same whatever its number
    of questions. Raises ValueError if a question is missing, a level is off the scale or a key
    is not in this questionnaire version.
    """
    expected = questionnaire.question_keys
    missing = [key for key in expected if key not in answers]
    unknown = sorted(set(answers) - set(expected))
    invalid = [
        key
        for key in expected
        if key in answers and answers[key] is not None and not _is_level(answers[key])
    ]
    if missing or unknown or invalid:
        problems = []
        if missing:
            problems.append("missing answers: " + ", ".join(missing))
        if unknown:
            problems.append(f"not in questionnaire {questionnaire.version}: " + ", ".join(unknown))
        if invalid:
            problems.append("levels not in 0..4: " + ", ".join(invalid))
        raise ValueError("; ".join(problems))

    exact: dict[str, Fraction] = {}
    for pillar in questionnaire.pillars:
        total = sum(answers[q.key] or 0 for q in pillar.questions)
        exact[pillar.key] = Fraction(total * 100, MAX_LEVEL * len(pillar.questions))
    overall = sum(exact.values(), Fraction(0)) / len(exact)
    return ScoreResult(
        pillar_scores={key: round_score(value) for key, value in exact.items()},
        overall=round_score(overall),
        band=band_for(overall),
        dont_know=tuple(key for key in expected if answers[key] is None),
        questionnaire_version=questionnaire.version,
    )


def _is_level(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in LEVELS


def gva_per_fte(turnover: float | None, purchases: float | None, fte: float | None) -> float | None:
    """Approximate gross value added per full-time equivalent employee, in pounds:
    (turnover - bought-in purchases) / FTE. None if any figure is missing or FTE is not
    positive. Negative when purchases exceed turnover."""
    if turnover is None or purchases is None or fte is None or fte <= 0:
        return None
    return (turnover - purchases) / fte


def strongest_weakest(pillar_scores: Mapping[str, float]) -> tuple[list[str], list[str]]:
    """The pillar keys with the highest and the lowest score (several when tied), in the
    order given. When every pillar scores the same there is neither: ([], [])."""
    if not pillar_scores:
        return [], []
    high, low = max(pillar_scores.values()), min(pillar_scores.values())
    if high == low:
        return [], []
    strongest = [key for key, value in pillar_scores.items() if value == high]
    weakest = [key for key, value in pillar_scores.items() if value == low]
    return strongest, weakest
