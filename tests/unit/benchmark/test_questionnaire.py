"""The questionnaire file, its validation on load, and cleaning of answers and metrics.

Pure: no app, no database.
"""

import copy

import pytest

from app.benchmark.questionnaire import (
    CURRENT_VERSION,
    DONT_KNOW,
    AnswerError,
    MetricsError,
    QuestionnaireError,
    current_questionnaire,
    load_questionnaire,
    parse_questionnaire,
    validate_answers,
    validate_metrics,
)

FIVE = ["none", "some", "half", "most", "all"]

# --- the real file -------------------------------------------------------------------------


def test_current_version_loads_with_the_eight_pillars_in_order():
    questionnaire = current_questionnaire()
    assert questionnaire.version == CURRENT_VERSION == "2026.1"
    assert [(p.key, p.title) for p in questionnaire.pillars] == [
        ("leadership", "Leadership & strategy"),
        ("lean", "Lean operations & flow"),
        ("quality", "Quality & delivery"),
        ("people", "People & skills"),
        ("digital", "Data & digital systems"),
        ("automation", "Automation & technology"),
        ("innovation", "Innovation & collaboration"),
        ("sustainability", "Resource efficiency & sustainability"),
    ]


def test_every_pillar_and_question_is_well_formed():
    questionnaire = current_questionnaire()
    for pillar in questionnaire.pillars:
        assert pillar.description.endswith(".")
        assert 3 <= len(pillar.questions) <= 4
        for question in pillar.questions:
            assert question.key.startswith(pillar.key + ".")
            assert question.text.endswith("?")
            assert len(question.answers) == 5
            assert len(set(question.answers)) == 5
    assert len(set(questionnaire.question_keys)) == len(questionnaire.question_keys) == 30
    assert "lean.flow" in questionnaire.question_keys


def test_loading_is_cached():
    assert load_questionnaire() is load_questionnaire("2026.1") is current_questionnaire()


def test_unknown_version_is_refused():
    with pytest.raises(QuestionnaireError, match=r"unknown questionnaire version '1999\.1'"):
        load_questionnaire("1999.1")


def test_metrics_step_definition():
    metrics = current_questionnaire().metrics
    assert [m.key for m in metrics] == [
        "turnover_gbp",
        "purchases_gbp",
        "fte",
        "sic_division",
        "export_share_pct",
        "on_time_delivery_pct",
        "right_first_time_pct",
    ]
    by_key = {m.key: m for m in metrics}
    assert (by_key["turnover_gbp"].min, by_key["turnover_gbp"].max) == (0, 100_000_000_000)
    assert (by_key["fte"].min, by_key["fte"].max, by_key["fte"].min_exclusive) == (
        0,
        1_000_000,
        True,
    )
    assert (by_key["export_share_pct"].min, by_key["export_share_pct"].max) == (0, 100)
    assert by_key["export_share_pct"].unit == "%"
    assert by_key["sic_division"].kind == "sic"
    assert all(m.label and m.help for m in metrics)


# --- validation on load --------------------------------------------------------------------


def valid_data():
    return {
        "version": "test.1",
        "pillars": [
            {
                "key": "a",
                "title": "A",
                "description": "Pillar A.",
                "questions": [
                    {"key": f"a.q{i}", "text": f"A{i}?", "answers": list(FIVE)} for i in range(1, 4)
                ],
            },
            {
                "key": "b",
                "title": "B",
                "description": "Pillar B.",
                "questions": [
                    {"key": f"b.q{i}", "text": f"B{i}?", "answers": list(FIVE)} for i in range(1, 5)
                ],
            },
        ],
    }


def test_valid_data_parses():
    questionnaire = parse_questionnaire(valid_data())
    assert questionnaire.pillar_keys == ("a", "b")
    assert questionnaire.pillar("b").question_keys == ("b.q1", "b.q2", "b.q3", "b.q4")
    assert questionnaire.pillar("a").questions[0].answers == tuple(FIVE)
    assert questionnaire.metrics == ()


def test_pillar_with_two_questions_is_refused():
    data = valid_data()
    del data["pillars"][0]["questions"][2]
    with pytest.raises(QuestionnaireError, match="pillar 'a': has 2 questions; each pillar needs"):
        parse_questionnaire(data)


def test_pillar_with_five_questions_is_refused():
    data = valid_data()
    data["pillars"][1]["questions"].append({"key": "b.q5", "text": "B5?", "answers": FIVE})
    with pytest.raises(QuestionnaireError, match="pillar 'b': has 5 questions"):
        parse_questionnaire(data)


@pytest.mark.parametrize("answers", [FIVE[:4], [*FIVE, "extra"]])
def test_question_without_exactly_five_answers_is_refused(answers):
    data = valid_data()
    data["pillars"][0]["questions"][1]["answers"] = answers
    with pytest.raises(QuestionnaireError, match=f"question 'a.q2': has {len(answers)} answers"):
        parse_questionnaire(data)


def test_repeated_question_key_is_refused():
    data = valid_data()
    data["pillars"][1]["questions"][3]["key"] = "b.q1"
    with pytest.raises(QuestionnaireError, match=r"question 'b\.q1': key is repeated"):
        parse_questionnaire(data)


def test_repeated_pillar_key_is_refused():
    data = valid_data()
    data["pillars"][1] = copy.deepcopy(data["pillars"][0])
    with pytest.raises(QuestionnaireError, match="pillar 'a': key is repeated"):
        parse_questionnaire(data)


def test_question_key_must_belong_to_its_pillar():
    data = valid_data()
    data["pillars"][0]["questions"][0]["key"] = "b.q9"
    with pytest.raises(
        QuestionnaireError, match=r"question 'b\.q9': key must look like 'a\.something'"
    ):
        parse_questionnaire(data)


def test_empty_answer_is_refused():
    data = valid_data()
    data["pillars"][0]["questions"][0]["answers"][4] = "  "
    with pytest.raises(QuestionnaireError, match="every answer must be a non-empty string"):
        parse_questionnaire(data)


# --- answers -------------------------------------------------------------------------------


def test_valid_answers_are_cleaned():
    raw = {"b.q1": "4", "b.q2": " 2 ", "b.q3": "1", "b.q4": DONT_KNOW, "a.q1": "zz", "csrf": "x"}
    cleaned = validate_answers(parse_questionnaire(valid_data()), "b", raw)
    assert cleaned == {"b.q1": 4, "b.q2": 2, "b.q3": 1, "b.q4": None}
    assert DONT_KNOW == "dk"


def test_unanswered_and_off_scale_answers_are_named():
    raw = {"b.q1": "", "b.q2": "5", "b.q3": "4.0"}
    with pytest.raises(AnswerError) as caught:
        validate_answers(parse_questionnaire(valid_data()), "b", raw)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.missing == ("b.q1", "b.q4")
    assert error.invalid == ("b.q2", "b.q3")
    assert str(error) == "unanswered: b.q1, b.q4; not on the 0–4 scale: b.q2, b.q3"
    assert error.errors == {
        "b.q1": "Choose an answer.",
        "b.q4": "Choose an answer.",
        "b.q2": "Choose one of the answers shown.",
        "b.q3": "Choose one of the answers shown.",
    }


@pytest.mark.parametrize("bad", ["-1", "DK", "four", "1 2"])
def test_other_off_scale_values(bad):
    raw = {"a.q1": "0", "a.q2": "0", "a.q3": bad}
    with pytest.raises(AnswerError) as caught:
        validate_answers(parse_questionnaire(valid_data()), "a", raw)
    assert caught.value.invalid == ("a.q3",)
    assert caught.value.missing == ()


def test_unknown_pillar_is_a_key_error():
    with pytest.raises(KeyError):
        validate_answers(parse_questionnaire(valid_data()), "nope", {})


# --- metrics -------------------------------------------------------------------------------

ALL_BLANK = {
    "turnover_gbp": None,
    "purchases_gbp": None,
    "fte": None,
    "sic_division": None,
    "export_share_pct": None,
    "on_time_delivery_pct": None,
    "right_first_time_pct": None,
}


def test_metrics_are_all_optional():
    assert validate_metrics({}) == (ALL_BLANK, [])
    assert validate_metrics(dict.fromkeys(ALL_BLANK, "  ")) == (ALL_BLANK, [])


def test_valid_metrics_are_cleaned():
    cleaned, warnings = validate_metrics(
        {
            "turnover_gbp": "£2,500,000.50",
            "purchases_gbp": "1250000",
            "fte": "12.5",
            "sic_division": "25",
            "export_share_pct": "15%",
            "on_time_delivery_pct": "100",
            "right_first_time_pct": "0",
        }
    )
    assert cleaned == {
        "turnover_gbp": 2_500_001,  # whole pounds, half up
        "purchases_gbp": 1_250_000,
        "fte": 12.5,
        "sic_division": "25",
        "export_share_pct": 15.0,
        "on_time_delivery_pct": 100.0,
        "right_first_time_pct": 0.0,
    }
    assert warnings == []


def test_non_manufacturing_division_is_accepted():
    cleaned, _ = validate_metrics({"sic_division": "01"})
    assert cleaned["sic_division"] == "01"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("turnover_gbp", "-5", "Annual turnover cannot be negative."),
        ("purchases_gbp", "-£10", "Bought-in goods and services cannot be negative."),
        ("fte", "0", "Full-time equivalent employees must be more than 0."),
        ("fte", "-2", "Full-time equivalent employees cannot be negative."),
        ("export_share_pct", "101", "Export share of sales must be a percentage from 0 to 100."),
        ("on_time_delivery_pct", "100.1", "On-time delivery must be a percentage from 0 to 100."),
        ("turnover_gbp", "abc", "Annual turnover: enter a number, for example 2500000."),
        ("turnover_gbp", "nan", "Annual turnover: enter a number, for example 2500000."),
        ("turnover_gbp", "1e9", "Annual turnover: enter a number, for example 2500000."),
        ("turnover_gbp", "1,5", "Annual turnover: enter a number, for example 2500000."),
        ("fte", "inf", "Full-time equivalent employees: enter a number, for example 42.5."),
        ("right_first_time_pct", "ninety", "Right first time: enter a number, for example 85."),
        (
            "turnover_gbp",
            "100000000001",
            "Annual turnover looks too large: the most we accept is £100,000,000,000.",
        ),
        (
            "fte",
            "1000001",
            "Full-time equivalent employees looks too large: the most we accept is 1,000,000.",
        ),
        ("sic_division", "34", "Sector (SIC division): 34 is not a SIC 2007 division."),
        (
            "sic_division",
            "5",
            (
                "Sector (SIC division): enter the two-digit SIC division, for example 25 "
                "(the first two digits of your SIC code)."
            ),
        ),
        (
            "sic_division",
            "C25",
            (
                "Sector (SIC division): enter the two-digit SIC division, for example 25 "
                "(the first two digits of your SIC code)."
            ),
        ),
    ],
)
def test_metric_refusals(field, value, message):
    with pytest.raises(MetricsError) as caught:
        validate_metrics({field: value})
    assert caught.value.errors == {field: message}
    assert isinstance(caught.value, ValueError)


def test_every_refused_field_is_reported_at_once():
    with pytest.raises(MetricsError) as caught:
        validate_metrics(
            {"turnover_gbp": "-1", "fte": "0", "export_share_pct": "150", "sic_division": "10"}
        )
    assert set(caught.value.errors) == {"turnover_gbp", "fte", "export_share_pct"}


def test_limits_themselves_are_accepted():
    cleaned, _ = validate_metrics(
        {"turnover_gbp": "100000000000", "fte": "1000000", "export_share_pct": "0", "fte ": "x"}
    )
    assert cleaned["turnover_gbp"] == 100_000_000_000
    assert cleaned["fte"] == 1_000_000.0
    assert cleaned["export_share_pct"] == 0.0


def test_purchases_above_turnover_is_allowed_with_a_warning():
    cleaned, warnings = validate_metrics({"turnover_gbp": "1000000", "purchases_gbp": "1200000"})
    assert cleaned["purchases_gbp"] == 1_200_000
    assert warnings == [
        (
            "Bought-in goods and services (£1,200,000) are more than annual turnover "
            "(£1,000,000), which would mean the business added no value that year. "
            "Please check both figures."
        )
    ]


def test_purchases_equal_to_turnover_gives_no_warning():
    assert validate_metrics({"turnover_gbp": "500000", "purchases_gbp": "500000"})[1] == []
