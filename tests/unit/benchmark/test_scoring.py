"""Scoring: hand-computed values, band edges and refusals. Pure: no app, no database."""

from fractions import Fraction

import pytest

from app.benchmark.questionnaire import current_questionnaire, parse_questionnaire
from app.benchmark.scoring import (
    SCORING_VERSION,
    ScoreResult,
    band_for,
    gva_per_fte,
    round_score,
    score,
    strongest_weakest,
)

FIVE = ["none", "some", "half", "most", "all"]


def small_questionnaire():
    """Pillar a: 4 questions; pillar b: 3 questions."""
    return parse_questionnaire(
        {
            "version": "test.1",
            "pillars": [
                {
                    "key": "a",
                    "title": "A",
                    "description": "Pillar A.",
                    "questions": [
                        {"key": f"a.q{i}", "text": f"A{i}?", "answers": FIVE} for i in range(1, 5)
                    ],
                },
                {
                    "key": "b",
                    "title": "B",
                    "description": "Pillar B.",
                    "questions": [
                        {"key": f"b.q{i}", "text": f"B{i}?", "answers": FIVE} for i in range(1, 4)
                    ],
                },
            ],
        }
    )


def test_pillar_and_overall_scores_match_hand_calculation():
    answers = {"a.q1": 4, "a.q2": 2, "a.q3": 1, "a.q4": None, "b.q1": 3, "b.q2": 3, "b.q3": None}

    result = score(small_questionnaire(), answers)

    # a: (4 + 2 + 1 + 0) / 16 * 100 = 43.75 -> 43.8; b: 6 / 12 * 100 = 50.0
    # overall: (43.75 + 50) / 2 = 46.875 -> 46.9, Developing
    assert result == ScoreResult(
        pillar_scores={"a": 43.8, "b": 50.0},
        overall=46.9,
        band="Developing",
        dont_know=("a.q4", "b.q3"),
        questionnaire_version="test.1",
        scoring_version="1",
    )
    assert list(result.pillar_scores) == ["a", "b"]


def test_overall_is_mean_of_unrounded_pillar_scores():
    # a: 1/16 -> 6.25 (shown 6.3); b: 0. Overall (6.25 + 0) / 2 = 3.125 -> 3.1, whereas
    # averaging the rounded pillar scores would give 3.15 -> 3.2.
    answers = {"a.q1": 1, "a.q2": 0, "a.q3": 0, "a.q4": 0, "b.q1": 0, "b.q2": 0, "b.q3": 0}
    result = score(small_questionnaire(), answers)
    assert result.pillar_scores == {"a": 6.3, "b": 0.0}
    assert result.overall == 3.1


def test_halves_round_up_not_to_even():
    answers = {"a.q1": 1, "a.q2": 0, "a.q3": 0, "a.q4": 0, "b.q1": 4, "b.q2": 4, "b.q3": 4}
    # 6.25 would be 6.2 with Python's round(); we show 6.3
    assert score(small_questionnaire(), answers).pillar_scores["a"] == 6.3
    assert round_score(6.25) == 6.3
    assert round_score(43.75) == 43.8
    assert round_score(Fraction(175, 4)) == 43.8
    assert round_score(Fraction(100, 3)) == 33.3


def test_full_questionnaire_all_top_and_all_dont_know():
    questionnaire = current_questionnaire()
    top = score(questionnaire, dict.fromkeys(questionnaire.question_keys, 4))
    assert top.overall == 100.0
    assert top.band == "Advanced"
    assert set(top.pillar_scores.values()) == {100.0}
    assert top.dont_know == ()
    assert top.questionnaire_version == "2026.1"
    assert top.scoring_version == SCORING_VERSION == "1"

    unknown = score(questionnaire, dict.fromkeys(questionnaire.question_keys))
    assert unknown.overall == 0.0
    assert unknown.band == "Foundation"
    assert unknown.dont_know == questionnaire.question_keys


def test_pillars_weigh_equally_whatever_their_question_count():
    # a (4 questions) all 4s = 100; b (3 questions) all 0s = 0 -> overall 50.0
    answers = {"a.q1": 4, "a.q2": 4, "a.q3": 4, "a.q4": 4, "b.q1": 0, "b.q2": 0, "b.q3": 0}
    result = score(small_questionnaire(), answers)
    assert result.overall == 50.0
    assert result.band == "Developing"


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "Foundation"),
        (25, "Foundation"),
        (25.1, "Developing"),
        (50, "Developing"),
        (50.1, "Established"),
        (75, "Established"),
        (75.1, "Advanced"),
        (100, "Advanced"),
        (Fraction(101, 4), "Developing"),  # 25.25
    ],
)
def test_band_edges(value, band):
    assert band_for(value) == band


@pytest.mark.parametrize("value", [-0.1, 100.1, float("nan")])
def test_band_refuses_scores_off_the_scale(value):
    with pytest.raises(ValueError, match="between 0 and 100"):
        band_for(value)


def test_missing_answer_is_refused():
    answers = {"a.q1": 4, "a.q2": 2, "a.q3": 1, "b.q1": 3, "b.q2": 3, "b.q3": None}
    with pytest.raises(ValueError, match=r"^missing answers: a\.q4$"):
        score(small_questionnaire(), answers)


def test_answers_from_another_version_are_refused():
    answers = dict.fromkeys(["a.q1", "a.q2", "a.q3", "a.q4", "b.q1", "b.q2", "b.q3"], 2)
    answers["c.q1"] = 2
    with pytest.raises(ValueError, match=r"^not in questionnaire test\.1: c\.q1$"):
        score(small_questionnaire(), answers)


@pytest.mark.parametrize("bad", [5, -1, True, 2.0, "2"])
def test_levels_off_the_scale_are_refused(bad):
    answers = dict.fromkeys(["a.q1", "a.q2", "a.q3", "a.q4", "b.q1", "b.q2", "b.q3"], 2)
    answers["b.q2"] = bad
    with pytest.raises(ValueError, match=r"^levels not in 0\.\.4: b\.q2$"):
        score(small_questionnaire(), answers)


def test_gva_per_fte():
    assert gva_per_fte(1_000_000, 400_000, 12) == 50_000.0
    assert gva_per_fte(1_000_000, 400_000, 2.5) == 240_000.0
    assert gva_per_fte(100_000, 150_000, 5) == -10_000.0  # purchases above turnover
    assert gva_per_fte(None, 400_000, 12) is None
    assert gva_per_fte(1_000_000, None, 12) is None
    assert gva_per_fte(1_000_000, 400_000, None) is None
    assert gva_per_fte(1_000_000, 400_000, 0) is None
    assert gva_per_fte(1_000_000, 400_000, -3) is None


def test_strongest_and_weakest_with_ties():
    scores = {"leadership": 50.0, "lean": 80.0, "quality": 80.0, "people": 10.0}
    assert strongest_weakest(scores) == (["lean", "quality"], ["people"])


def test_strongest_and_weakest_when_all_equal_or_empty():
    assert strongest_weakest({"leadership": 40.0, "lean": 40.0}) == ([], [])
    assert strongest_weakest({}) == ([], [])
