"""Baselines a year back for the businesses of the past workshop's delegates and a few others,
so the organisers' "Improvement since the baseline" table has groups to show: the eight that
came to the lean workshop re-assessed after it and moved further on lean and quality than the
businesses that did not come.

Each baseline is the business's current answers stepped down (more on the workshop's pillars
for those that came), scored with the real scoring function.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from app.benchmark import scoring
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.extensions import db

CAME = range(1, 9)  # organisations of the eight delegates checked in at the past workshop
STAYED_AWAY = (9, 10, 11, 12, 13)
WORKSHOP_PILLARS = ("lean", "quality")


def _baseline(latest: BenchmarkResponse, rng: random.Random, came: bool, submitted_at):
    questionnaire = current_questionnaire()
    answers = {}
    for pillar in questionnaire.pillars:
        focus = came and pillar.key in WORKSHOP_PILLARS
        for question in pillar.questions:
            level = latest.answers.get(question.key)
            if level is None:
                answers[question.key] = None
                continue
            step = rng.choice((0, 1, 1)) if focus else rng.choice((0, 0, 0, 1))
            answers[question.key] = max(level - step, 0)
    result = scoring.score(questionnaire, answers)
    return BenchmarkResponse(
        public_id=secrets.token_urlsafe(16),
        organisation_id=latest.organisation_id,
        submitted_by_id=latest.submitted_by_id,
        status="submitted",
        questionnaire_version=questionnaire.version,
        scoring_version=result.scoring_version,
        answers=answers,
        metrics={},
        pillar_scores=result.pillar_scores,
        overall_score=result.overall,
        band=result.band,
        created_at=submitted_at - timedelta(minutes=16),
        updated_at=submitted_at,
        submitted_at=submitted_at,
    )


def load(ctx: dict) -> None:
    now = ctx["now"]
    organisations = ctx["organisations"]
    benchmarks = ctx["benchmarks"]
    rng = random.Random(2027)
    for index in (*CAME, *STAYED_AWAY):
        latest = benchmarks[organisations[index].id][-1]
        if index in CAME:
            # Re-assessed after the workshop (61 days ago): what they changed shows.
            latest.submitted_at = now - timedelta(days=20 + 3 * index)
            latest.created_at = latest.updated_at = latest.submitted_at
        baseline = _baseline(latest, rng, index in CAME, now - timedelta(days=340 + 2 * index))
        benchmarks[organisations[index].id].insert(0, baseline)
        db.session.add(baseline)
    db.session.flush()
