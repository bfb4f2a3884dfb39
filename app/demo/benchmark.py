"""Demo benchmark results: every demo organisation has a submitted benchmark, so that peer
comparison has groups of five or more other businesses (the demo delegate's is the seven other
small businesses).

Answers are varied but deterministic (random.Random with a fixed seed per organisation).
The demo delegate's business (index 0) has two: a baseline about eleven months ago and a recent
re-assessment, so its results show the change. Site-visit hosts (index 0 and 12) score 75 or
more on the pillars of their visits.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from app.benchmark import scoring
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import LEVELS, current_questionnaire
from app.extensions import db

SEED = 2026
# Organisation index -> pillars on which it must score 75+ (its site visit's themes).
HOST_PILLARS: dict[int, tuple[str, ...]] = {0: ("lean", "quality"), 12: ("automation", "digital")}
# The demo delegate's business: weak in automation, digital and people, so its recommendations
# include the agri-machinery site visit, the innovation centre and conference sessions.
DELEGATE_PROFILE = {
    "leadership": 2.5,
    "lean": 3.5,
    "quality": 3.5,
    "people": 1.5,
    "digital": 1.2,
    "automation": 1.0,
    "innovation": 2.0,
    "sustainability": 2.0,
}
NO_METRICS = {11}  # one micro business left its figures blank


def _answers(rng: random.Random, targets: dict[str, float], strong: tuple[str, ...]) -> dict:
    questionnaire = current_questionnaire()
    answers: dict[str, int | None] = {}
    for pillar in questionnaire.pillars:
        for question in pillar.questions:
            if pillar.key in strong:
                answers[question.key] = rng.choice((3, 4, 4))
                continue
            if rng.random() < 0.04:
                answers[question.key] = None  # "don't know"
                continue
            level = round(targets[pillar.key] + rng.uniform(-0.9, 0.9))
            answers[question.key] = min(max(level, LEVELS[0]), LEVELS[-1])
    return answers


def _metrics(rng: random.Random, org, scale: float = 1.0) -> dict:
    fte = float(org.fte)
    turnover = int(fte * rng.randint(85, 170) * 1000 * scale)
    return {
        "turnover_gbp": turnover,
        "purchases_gbp": int(turnover * rng.uniform(0.45, 0.62)),
        "fte": fte,
        "sic_division": org.sector,
        "export_share_pct": float(rng.randint(0, 45)),
        "on_time_delivery_pct": float(rng.randint(70, 98)),
        "right_first_time_pct": float(rng.randint(85, 99)),
    }


def _response(org, user, answers: dict, metrics: dict, submitted_at) -> BenchmarkResponse:
    questionnaire = current_questionnaire()
    result = scoring.score(questionnaire, answers)
    gva = scoring.gva_per_fte(
        metrics.get("turnover_gbp"), metrics.get("purchases_gbp"), metrics.get("fte")
    )
    return BenchmarkResponse(
        public_id=secrets.token_urlsafe(16),
        organisation_id=org.id,
        submitted_by_id=user.id,
        status="submitted",
        questionnaire_version=questionnaire.version,
        scoring_version=result.scoring_version,
        answers=answers,
        metrics=metrics,
        pillar_scores=result.pillar_scores,
        overall_score=result.overall,
        band=result.band,
        gva_per_fte=None if gva is None else round(gva, 2),
        created_at=submitted_at - timedelta(minutes=14),
        updated_at=submitted_at,
        submitted_at=submitted_at,
    )


def load(ctx: dict) -> None:
    now = ctx["now"]
    organisations = ctx["organisations"]
    submitter = {}
    for user in ctx["delegates"]:
        submitter.setdefault(user.organisation_id, user)
    pillar_keys = current_questionnaire().pillar_keys
    benchmarks: dict[int, list[BenchmarkResponse]] = {}
    for index, org in enumerate(organisations):
        rng = random.Random(SEED * 100 + index)
        user = submitter[org.id]
        if index == 0:
            targets = dict(DELEGATE_PROFILE)
        else:
            base = rng.uniform(1.0, 3.0)
            targets = {key: base + rng.uniform(-0.8, 0.8) for key in pillar_keys}
        strong = HOST_PILLARS.get(index, ())
        responses = []
        if index == 0:
            # The baseline, about eleven months ago: lower across the board.
            earlier = {key: value - 0.8 for key, value in targets.items()}
            responses.append(
                _response(
                    org,
                    user,
                    _answers(rng, earlier, ()),
                    _metrics(rng, org, scale=0.9),
                    now - timedelta(days=335),
                )
            )
        metrics = {} if index in NO_METRICS else _metrics(rng, org)
        submitted_at = now - timedelta(days=12 if index == 0 else rng.randint(15, 200))
        responses.append(
            _response(org, user, _answers(rng, targets, strong), metrics, submitted_at)
        )
        db.session.add_all(responses)
        benchmarks[org.id] = responses
    db.session.flush()
    ctx["benchmarks"] = benchmarks
