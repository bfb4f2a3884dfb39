"""A benchmark's results page: pillar scores against the peer group, change since the
baseline and the previous benchmark, and (for the latest) what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.benchmark import peers, scoring
from app.benchmark.comparison import peer_group_for
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import (
    Questionnaire,
)
from app.benchmark.recommendations import PillarRecommendation, recommend_for
from app.benchmark.services import baseline, latest_submitted, metric_warnings, questionnaire_for

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PillarRow:
    key: str
    title: str
    score: float
    peer_median: float | None
    peer_q1: float | None
    peer_q3: float | None
    baseline: float | None  # the baseline's score, when this response is not the baseline
    change: float | None


@dataclass(frozen=True)
class Results:
    response: BenchmarkResponse
    questionnaire: Questionnaire
    rows: list[PillarRow]
    peer: peers.PeerGroup
    strongest: list[str]
    weakest: list[str]
    dont_know: list[str]  # question texts answered "don't know"
    gva_per_fte: float | None
    peer_gva_median: float | None
    baseline: BenchmarkResponse | None  # None when this response is the baseline
    overall_change: float | None
    warnings: list[str]
    is_latest: bool
    recommendations: list[PillarRecommendation] = field(default_factory=list)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else scoring.round_score(a - b)


def results_for(response: BenchmarkResponse, now: datetime | None = None) -> Results:
    questionnaire = questionnaire_for(response)
    peer = peer_group_for(response)
    first = baseline(response.organisation_id)
    if first is not None and first.id == response.id:
        first = None  # this is the baseline: nothing to compare with
    scores = response.pillar_scores or {}
    base_scores = (first.pillar_scores or {}) if first else {}
    rows = []
    for pillar in questionnaire.pillars:
        stats = peer.pillars.get(pillar.key) if peer.available else None
        own = scores.get(pillar.key, 0.0)
        base = base_scores.get(pillar.key) if first else None
        rows.append(
            PillarRow(
                key=pillar.key,
                title=pillar.title,
                score=own,
                peer_median=stats.median if stats else None,
                peer_q1=stats.q1 if stats else None,
                peer_q3=stats.q3 if stats else None,
                baseline=base,
                change=_diff(own, base),
            )
        )
    strongest, weakest = scoring.strongest_weakest(scores)
    texts = {q.key: q.text for q in questionnaire.questions}
    dont_know = [
        texts[k] for k in questionnaire.question_keys if (response.answers or {}).get(k, 0) is None
    ]
    latest = latest_submitted(response.organisation_id)
    is_latest = latest is not None and latest.id == response.id
    return Results(
        response=response,
        questionnaire=questionnaire,
        rows=rows,
        peer=peer,
        strongest=strongest,
        weakest=weakest,
        dont_know=dont_know,
        gva_per_fte=response.gva_per_fte,
        peer_gva_median=peer.gva_per_fte.median if peer.available and peer.gva_per_fte else None,
        baseline=first,
        overall_change=_diff(response.overall_score, first.overall_score) if first else None,
        warnings=metric_warnings(response),
        is_latest=is_latest,
        recommendations=(recommend_for(response, peer, now) if is_latest else []),
    )


def chart_data(results: Results) -> dict:
    """What the radar chart script needs (JSON-safe). Only aggregates of the peer group."""
    return {
        "labels": [row.title for row in results.rows],
        "yours": [row.score for row in results.rows],
        "peer_median": (
            [row.peer_median for row in results.rows] if results.peer.available else None
        ),
        "baseline": (
            [row.baseline for row in results.rows] if results.baseline is not None else None
        ),
        "peer_label": f"Peer median ({results.peer.label})" if results.peer.available else None,
    }
