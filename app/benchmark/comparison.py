"""Peer comparison: each business's latest benchmark, and the group a response is compared
with (only businesses the programme has seen; never the business itself)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import Organisation, User
from app.benchmark import peers
from app.benchmark.models import BenchmarkResponse
from app.benchmark.services import SUBMITTED
from app.benchmark.sic import sector_name
from app.checkin.models import CheckIn
from app.extensions import db
from app.registration.models import Registration

# --- peer comparison -----------------------------------------------------------------------


def latest_per_organisation() -> list[tuple[BenchmarkResponse, Organisation]]:
    """Each organisation's latest submitted response, with the organisation. 1 query."""
    ranked = (
        select(
            BenchmarkResponse.id.label("id"),
            func.row_number()
            .over(
                partition_by=BenchmarkResponse.organisation_id,
                order_by=(BenchmarkResponse.submitted_at.desc(), BenchmarkResponse.id.desc()),
            )
            .label("rank"),
        )
        .where(BenchmarkResponse.status == SUBMITTED)
        .subquery()
    )
    rows = db.session.execute(
        select(BenchmarkResponse, Organisation)
        .join(ranked, ranked.c.id == BenchmarkResponse.id)
        .join(Organisation, Organisation.id == BenchmarkResponse.organisation_id)
        .where(ranked.c.rank == 1)
        .order_by(BenchmarkResponse.organisation_id)
    ).all()
    return [(r, o) for r, o in rows]


def org_score(response: BenchmarkResponse, org: Organisation) -> peers.OrgScore:
    return peers.OrgScore(
        organisation_id=org.id,
        sector=org.sector,
        size_band=org.size_band,
        pillar_scores=dict(response.pillar_scores or {}),
        overall=response.overall_score or 0.0,
        gva_per_fte=response.gva_per_fte,
    )


def _seen_organisation_ids() -> set[int]:
    """Businesses the programme has seen: ticked by an organiser, or with a member admitted
    at an event. Only these count in peer figures, so made-up businesses cannot. 1 query."""
    checked_in = (
        select(User.organisation_id)
        .join(Registration, Registration.user_id == User.id)
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(User.organisation_id.is_not(None), CheckIn.undone_at.is_(None))
    )
    ticked = select(Organisation.id).where(Organisation.verified_at.is_not(None))
    return set(db.session.execute(ticked.union(checked_in)).scalars())


def peer_group_for(response: BenchmarkResponse) -> peers.PeerGroup:
    """The peer group to compare this response with: the latest submission of every other
    business the programme has seen (app.benchmark.peers has the disclosure rules)."""
    org = response.organisation
    seen = _seen_organisation_ids()
    population = [
        org_score(r, o) for r, o in latest_per_organisation() if o.id != org.id and o.id in seen
    ]
    return peers.choose_peer_group(org.sector, org.size_band, population, sector_name)
