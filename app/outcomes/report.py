"""The figures a funder is sent: one row per business (hours, assisted date, declaration,
outcomes claimed and verified) and progress against each target, split by network and by
quarter. Loaded in a fixed number of queries however many businesses and check-ins there are.

"Claimed" figures are claims awaiting an organiser's decision; "verified" ones count toward
targets; rejected claims count nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import Organisation
from app.extensions import db
from app.outcomes.hours import (
    Evidence,
    Filters,
    attendance_rows,
    business_hours,
    count_hours,
    filter_rows,
)
from app.outcomes.models import (
    ClaimKind,
    ClaimStatus,
    Declaration,
    IndicatorKey,
    OutcomeClaim,
    Programme,
)
from app.outcomes.services import RESEARCH_PARTNERS, is_sme

NOT_NAMED = "(not named: no consent)"


@dataclass
class BusinessRow:
    organisation_id: int
    name: str
    companies_house_number: str | None
    hours: float = 0.0
    people: int = 0
    reached_on: date | None = None
    declaration: Declaration | None = None  # the latest version
    declared_on: date | None = None  # the first version's date
    jobs: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    products: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    new_to_market: int = 0  # verified
    collaborations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    research: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    start_up: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    custom: dict[tuple[int, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    threshold: float = 12.0

    @property
    def has_activity(self) -> bool:
        """Hours, a declaration or any claim standing: worth a line on the dashboard."""
        claims = (self.jobs, self.products, self.collaborations, self.start_up, self.custom)
        return bool(self.hours or self.declaration or any(any(c.values()) for c in claims))

    @property
    def declaration_signed(self) -> bool:
        return self.declaration is not None

    @property
    def assisted(self) -> bool:
        return self.hours >= self.threshold - 1e-9 and self.declaration_signed

    @property
    def assisted_on(self) -> date | None:
        if not self.assisted or self.reached_on is None:
            return None
        return max(self.reached_on, self.declared_on)

    @property
    def awaiting_declaration(self) -> bool:
        return self.hours >= self.threshold - 1e-9 and not self.declaration_signed

    @property
    def named(self) -> bool:
        return self.declaration is None or self.declaration.consent_to_name

    @property
    def sme(self) -> bool | None:
        return None if self.declaration is None else is_sme(self.declaration)

    def over_subsidy_limit(self, limit_gbp: int) -> bool:
        return self.declaration is not None and self.declaration.subsidies_gbp > limit_gbp


@dataclass
class Progress:
    key: str
    title: str
    target: Decimal | None
    verified: Decimal
    pending: Decimal

    @property
    def percent(self) -> float | None:
        if not self.target:
            return None
        return round(float(self.verified) / float(self.target) * 100, 1)


@dataclass
class Report:
    programme: Programme
    filters: Filters
    rows: list[BusinessRow]
    evidence: list[Evidence]
    progress: list[Progress]
    claims: list[tuple] = field(default_factory=list)  # (org, kind, status, qty, detail, ind, on)

    @property
    def hours(self) -> float:
        return sum(r.hours for r in self.rows)


def _claim_rows(programme: Programme, filters: Filters, org_ids: list[int] | None):
    query = select(
        OutcomeClaim.organisation_id,
        OutcomeClaim.kind,
        OutcomeClaim.status,
        OutcomeClaim.quantity,
        OutcomeClaim.detail,
        OutcomeClaim.indicator_id,
        OutcomeClaim.occurred_on,
    ).where(OutcomeClaim.programme_id == programme.id)
    if filters.starts_on is not None:
        query = query.where(OutcomeClaim.occurred_on >= filters.starts_on)
    if filters.ends_on is not None:
        query = query.where(OutcomeClaim.occurred_on <= filters.ends_on)
    if org_ids is not None:
        query = query.where(OutcomeClaim.organisation_id.in_(org_ids))
    return db.session.execute(query).all()


def build_report(
    programme: Programme, filters: Filters | None = None, organisation_ids: list[int] | None = None
) -> Report:
    """Every business (or those named) with its figures. Five queries."""
    filters = filters or Filters()
    threshold = float(programme.threshold_hours)
    orgs = select(Organisation.id, Organisation.name, Organisation.companies_house_number)
    if organisation_ids is not None:
        orgs = orgs.where(Organisation.id.in_(organisation_ids))
    rows = {
        oid: BusinessRow(oid, name, number, threshold=threshold)
        for oid, name, number in db.session.execute(orgs.order_by(Organisation.name))
    }
    evidence, breaks = attendance_rows(programme.starts_on, programme.ends_on, organisation_ids)
    evidence = count_hours(filter_rows(evidence, filters), breaks)
    for org_id, bh in business_hours(evidence, threshold).items():
        if org_id in rows:
            rows[org_id].hours, rows[org_id].people = bh.hours, bh.people
            rows[org_id].reached_on = bh.reached_on
    declarations = select(Declaration).where(Declaration.programme_id == programme.id)
    if organisation_ids is not None:
        declarations = declarations.where(Declaration.organisation_id.in_(organisation_ids))
    for d in db.session.execute(declarations.order_by(Declaration.version)).scalars():
        row = rows.get(d.organisation_id)
        if row is not None:
            row.declared_on = row.declared_on or d.signed_on
            row.declaration = d
    claims = _claim_rows(programme, filters, organisation_ids)
    for org_id, kind, status, quantity, detail, indicator_id, _ in claims:
        row = rows.get(org_id)
        if row is None or status == ClaimStatus.REJECTED:
            continue
        if kind == ClaimKind.JOBS:
            row.jobs[status] += quantity
        elif kind == ClaimKind.PRODUCT:
            row.products[status] += 1
            row.new_to_market += detail == "new_to_market" and status == ClaimStatus.VERIFIED
        elif kind == ClaimKind.COLLABORATION:
            row.collaborations[status] += 1
            if detail in RESEARCH_PARTNERS:
                row.research[status] += 1
        elif kind == ClaimKind.START_UP:
            row.start_up[status] += 1
        elif kind == ClaimKind.CUSTOM:
            row.custom[(indicator_id, status)] += quantity
    ordered = list(rows.values())
    return Report(programme, filters, ordered, evidence, progress(programme, ordered), claims)


def progress(programme: Programme, rows: list[BusinessRow]) -> list[Progress]:
    """Verified and pending figures for each of the programme's indicators."""
    V, C = ClaimStatus.VERIFIED, ClaimStatus.CLAIMED

    def firms(counts: str) -> tuple[Decimal, Decimal]:
        verified = sum(1 for r in rows if getattr(r, counts)[V])
        pending = sum(1 for r in rows if getattr(r, counts)[C] and not getattr(r, counts)[V])
        return Decimal(verified), Decimal(pending)

    def total(counts: str) -> tuple[Decimal, Decimal]:
        return (
            Decimal(sum(getattr(r, counts)[V] for r in rows)),
            Decimal(sum(getattr(r, counts)[C] for r in rows)),
        )

    figures = {
        IndicatorKey.ASSISTED: (
            Decimal(sum(1 for r in rows if r.assisted)),
            Decimal(sum(1 for r in rows if r.awaiting_declaration)),
        ),
        IndicatorKey.JOBS: total("jobs"),
        IndicatorKey.START_UPS: firms("start_up"),
        IndicatorKey.COLLABORATIONS: total("collaborations"),
        IndicatorKey.PRODUCTS: total("products"),
        IndicatorKey.RESEARCH: firms("research"),
    }
    out = []
    for indicator in programme.indicators:
        if indicator.key in figures:
            verified, pending = figures[indicator.key]
        else:
            verified = sum((r.custom[(indicator.id, V)] for r in rows), Decimal(0))
            pending = sum((r.custom[(indicator.id, C)] for r in rows), Decimal(0))
        out.append(Progress(indicator.key, indicator.title, indicator.target, verified, pending))
    return out
