"""The programme's impact, as its funders ask: how far did businesses that re-took the benchmark
move from their baseline, pillar by pillar, and did those that took part in the programme on a
pillar move further than those that did not?

"Took part" on a pillar: someone from the business was checked in, between the business's
baseline and its latest benchmark, at a workshop or site visit with that theme or at a
conference session with it (a conference's own entrance counts for no pillar: its themes are
too broad). Aggregates only, and none for groups under MIN_GROUP businesses.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.auth.models import User
from app.benchmark.models import BenchmarkResponse
from app.benchmark.peers import MIN_GROUP
from app.benchmark.questionnaire import current_questionnaire
from app.checkin.models import CheckIn
from app.events.models import AgendaSession, Event, EventKind
from app.extensions import db
from app.registration.models import Registration

OVERALL = "overall"


@dataclass(frozen=True)
class Change:
    """Score change from baseline to latest across a group of businesses."""

    organisations: int
    mean: float | None  # None when the group is too small to show
    improved: int | None  # how many moved up

    @classmethod
    def of(cls, changes: list[float]) -> Change:
        if len(changes) < MIN_GROUP:
            return cls(len(changes), None, None)
        return cls(
            len(changes), round(statistics.fmean(changes), 1), sum(1 for c in changes if c > 0)
        )


@dataclass(frozen=True)
class PillarImpact:
    key: str
    title: str
    everyone: Change
    took_part: Change
    did_not: Change


@dataclass(frozen=True)
class _Journey:
    organisation_id: int
    baseline: BenchmarkResponse
    latest: BenchmarkResponse


def _journeys() -> list[_Journey]:
    """Businesses with two or more submitted benchmarks: first and latest. 1 query."""
    rows = db.session.execute(
        select(BenchmarkResponse)
        .where(BenchmarkResponse.status == "submitted")
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).scalars()
    by_org: dict[int, list[BenchmarkResponse]] = {}
    for response in rows:
        by_org.setdefault(response.organisation_id, []).append(response)
    return [_Journey(org, rs[0], rs[-1]) for org, rs in by_org.items() if len(rs) > 1]


def _attendance(org_ids: list[int]) -> dict[int, list[tuple[datetime, tuple[str, ...]]]]:
    """Each business's check-ins (not undone) with the pillars each counts for. 1 query."""
    if not org_ids:
        return {}
    rows = db.session.execute(
        select(
            User.organisation_id,
            CheckIn.checked_in_at,
            CheckIn.session_id,
            Event.kind,
            Event.pillars,
            AgendaSession.pillars,
        )
        .join(Registration, Registration.id == CheckIn.registration_id)
        .join(User, User.id == Registration.user_id)
        .join(Event, Event.id == CheckIn.event_id)
        .outerjoin(AgendaSession, AgendaSession.id == CheckIn.session_id)
        .where(CheckIn.undone_at.is_(None), User.organisation_id.in_(org_ids))
    )
    seen: dict[int, list[tuple[datetime, tuple[str, ...]]]] = {}
    for org_id, at, session_id, kind, event_pillars, session_pillars in rows:
        if session_id is not None:
            pillars = session_pillars or []
        else:
            pillars = [] if kind == EventKind.CONFERENCE else (event_pillars or [])
        seen.setdefault(org_id, []).append((at, tuple(pillars)))
    return seen


def programme_impact() -> list[PillarImpact]:
    """One row per pillar, then overall (where "took part" means on any pillar). 2 queries."""
    journeys = _journeys()
    attended = _attendance([j.organisation_id for j in journeys])
    took_part: dict[int, set[str]] = {}
    for j in journeys:
        between = set()
        for at, pillars in attended.get(j.organisation_id, []):
            if j.baseline.submitted_at < at < j.latest.submitted_at:
                between.update(pillars)
        took_part[j.organisation_id] = between

    def row(key: str, title: str) -> PillarImpact:
        groups: dict[str, list[float]] = {"all": [], "yes": [], "no": []}
        for j in journeys:
            if key == OVERALL:
                before, after = j.baseline.overall_score, j.latest.overall_score
                joined = bool(took_part[j.organisation_id])
            else:
                before = (j.baseline.pillar_scores or {}).get(key)
                after = (j.latest.pillar_scores or {}).get(key)
                joined = key in took_part[j.organisation_id]
            if before is None or after is None:
                continue
            change = after - before
            groups["all"].append(change)
            groups["yes" if joined else "no"].append(change)
        return PillarImpact(
            key, title, Change.of(groups["all"]), Change.of(groups["yes"]), Change.of(groups["no"])
        )

    pillars = current_questionnaire().pillars
    return [row(p.key, p.title) for p in pillars] + [row(OVERALL, "Overall")]
