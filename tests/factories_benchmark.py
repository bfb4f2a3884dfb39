"""Factories for the benchmark: submitted responses with chosen levels."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta

from app.benchmark import scoring
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_organisation, make_user

_seq = itertools.count(1)


def answers_at(level: int | None = 2, **pillar_levels: int | None) -> dict[str, int | None]:
    """Every question at ``level``, except the pillars named (pillar key -> level)."""
    return {
        q.key: pillar_levels.get(p.key, level)
        for p in current_questionnaire().pillars
        for q in p.questions
    }


def pillar_form(pillar_key: str, value: str) -> dict[str, str]:
    """Form data answering every question of one pillar with the same radio value."""
    pillar = current_questionnaire().pillar(pillar_key)
    return {key: value for key in pillar.question_keys}


def make_submission(
    organisation=None,
    user=None,
    level: int | None = 2,
    submitted_at: datetime | None = None,
    metrics: dict | None = None,
    **pillar_levels: int | None,
) -> BenchmarkResponse:
    organisation = organisation or make_organisation()
    user = user or make_user(organisation=organisation)
    questionnaire = current_questionnaire()
    answers = answers_at(level, **pillar_levels)
    result = scoring.score(questionnaire, answers)
    metrics = metrics or {}
    gva = scoring.gva_per_fte(
        metrics.get("turnover_gbp"), metrics.get("purchases_gbp"), metrics.get("fte")
    )
    when = submitted_at or utcnow() - timedelta(days=1)
    response = BenchmarkResponse(
        public_id=secrets.token_urlsafe(16),
        organisation_id=organisation.id,
        submitted_by_id=user.id,
        status="submitted",
        questionnaire_version=questionnaire.version,
        scoring_version=result.scoring_version,
        answers=answers,
        metrics=metrics,
        pillar_scores=result.pillar_scores,
        overall_score=result.overall,
        band=result.band,
        gva_per_fte=gva,
        submitted_at=when,
    )
    db.session.add(response)
    db.session.flush()
    return response


def make_peers(count: int, sector: str = "25", size_band: str = "small", level: int = 2, **kw):
    """``count`` organisations of one sector and size, each with a submitted benchmark, that
    the programme has seen (so they count in peer figures)."""
    return [
        make_submission(
            make_organisation(sector=sector, size_band=size_band, verified_at=utcnow()),
            level=level,
            **kw,
        )
        for _ in range(count)
    ]
