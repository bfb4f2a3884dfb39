"""The organiser's view of the benchmark across the programme, and its export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Organisation, Role, User
from app.benchmark import peers, scoring
from app.benchmark.comparison import latest_per_organisation, org_score
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import (
    current_questionnaire,
)
from app.benchmark.services import SUBMITTED, VALID_FOR, BenchmarkError
from app.extensions import db
from app.timeutil import utcnow

# --- the organiser's view ------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeOverview:
    organisations_completed: int  # with a benchmark submitted in the last 12 months
    organisations_ever: int
    organisations_total: int
    delegates_completed: int  # delegates whose organisation has a current benchmark
    delegates_total: int
    submissions: int
    reassessed: int  # organisations with more than one submission
    distribution: dict[str, peers.Distribution | None]
    bands: dict[str, int] | None  # band -> organisations, only with MIN_GROUP of them


def programme_overview(actor: User, now: datetime | None = None) -> ProgrammeOverview:
    """Programme-wide aggregates for organisers. Never a single organisation's scores."""
    if not actor.is_organiser:
        raise BenchmarkError("Only organisers can see the programme overview.")
    cutoff = (now or utcnow()) - VALID_FOR
    latest = latest_per_organisation()
    current_ids = {o.id for r, o in latest if r.submitted_at and r.submitted_at > cutoff}
    counts = dict(
        db.session.execute(
            select(BenchmarkResponse.organisation_id, func.count())
            .where(BenchmarkResponse.status == SUBMITTED)
            .group_by(BenchmarkResponse.organisation_id)
        ).all()
    )
    delegate_orgs = (
        db.session.execute(
            select(User.organisation_id).where(User.role == Role.DELEGATE, User.active.is_(True))
        )
        .scalars()
        .all()
    )
    questionnaire = current_questionnaire()
    population = [org_score(r, o) for r, o in latest]
    bands: dict[str, int] | None = None
    if len(latest) >= peers.MIN_GROUP:
        bands = dict.fromkeys(scoring.BAND_NAMES, 0)
        for r, _ in latest:
            if r.band in bands:
                bands[r.band] += 1
    return ProgrammeOverview(
        organisations_completed=len(current_ids),
        organisations_ever=len(latest),
        organisations_total=db.session.execute(
            select(func.count()).select_from(Organisation)
        ).scalar_one(),
        delegates_completed=sum(1 for org_id in delegate_orgs if org_id in current_ids),
        delegates_total=len(delegate_orgs),
        submissions=sum(counts.values()),
        reassessed=sum(1 for n in counts.values() if n > 1),
        distribution=peers.distribution(population, questionnaire.pillar_keys),
        bands=bands,
    )


@dataclass(frozen=True)
class ExportRow:
    organisation: Organisation
    latest: BenchmarkResponse
    first: BenchmarkResponse
    submissions: int


def export_rows(actor: User) -> list[ExportRow]:
    """Organisation-level results for the programme team (organisers only): each
    organisation's latest submission with its baseline. 2 queries."""
    if not actor.is_organiser:
        raise BenchmarkError("Only organisers can export benchmark results.")
    rows = db.session.execute(
        select(BenchmarkResponse, Organisation)
        .join(Organisation, Organisation.id == BenchmarkResponse.organisation_id)
        .where(BenchmarkResponse.status == SUBMITTED)
        .options(selectinload(BenchmarkResponse.submitted_by))
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).all()
    grouped: dict[int, list[BenchmarkResponse]] = {}
    orgs: dict[int, Organisation] = {}
    for response, org in rows:
        grouped.setdefault(org.id, []).append(response)
        orgs[org.id] = org
    result = [
        ExportRow(organisation=orgs[i], latest=rs[-1], first=rs[0], submissions=len(rs))
        for i, rs in grouped.items()
    ]
    return sorted(result, key=lambda row: row.organisation.name.lower())
