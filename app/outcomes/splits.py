"""The dashboard's views of a report: by quarter (with the progress chart), by network, and
the benchmark improvement of assisted businesses against the others. Pure, except
`improvement`, which reads benchmark results in one query."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.benchmark.impact import Change
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.extensions import db
from app.outcomes.models import ClaimKind, ClaimStatus, IndicatorKey
from app.outcomes.report import Report
from app.outcomes.services import RESEARCH_PARTNERS
from app.timeutil import to_local


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarters(starts_on: date, ends_on: date) -> list[tuple[int, int]]:
    first, last = quarter_of(starts_on), quarter_of(ends_on)
    out, (y, q) = [], first
    while (y, q) <= last:
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def quarter_label(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]} Q{quarter[1]}"


def _claim_indicator(kind: str, detail: str) -> list[str]:
    keys = {
        ClaimKind.JOBS: [IndicatorKey.JOBS],
        ClaimKind.PRODUCT: [IndicatorKey.PRODUCTS],
        ClaimKind.START_UP: [IndicatorKey.START_UPS],
        ClaimKind.COLLABORATION: [IndicatorKey.COLLABORATIONS],
    }.get(kind, [])
    if kind == ClaimKind.COLLABORATION and detail in RESEARCH_PARTNERS:
        keys = [*keys, IndicatorKey.RESEARCH]
    return keys


@dataclass
class QuarterRow:
    label: str
    hours: float = 0.0
    newly_assisted: int = 0
    verified: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    cumulative_percent: dict[str, float] = field(default_factory=dict)


def by_quarter(report: Report, today: date) -> list[QuarterRow]:
    """Each programme quarter up to today's: hours given, businesses newly assisted and
    outcomes verified (by the date they happened), and the cumulative share of each target.
    Custom indicators count by their indicator id."""
    programme = report.programme
    spans = quarters(programme.starts_on, min(programme.ends_on, max(today, programme.starts_on)))
    rows = {q: QuarterRow(quarter_label(q)) for q in spans}
    for e in report.evidence:
        row = rows.get(quarter_of(to_local(e.event_span[0]).date()))
        if row is not None:
            row.hours += e.hours
    for r in report.rows:
        if r.assisted_on and (row := rows.get(quarter_of(r.assisted_on))):
            row.newly_assisted += 1
            row.verified[IndicatorKey.ASSISTED] += 1
    custom_keys = {i.id: i.key for i in programme.indicators if not i.built_in}
    for _, kind, status, quantity, detail, indicator_id, on in report.claims:
        row = rows.get(quarter_of(on))
        if row is None or status != ClaimStatus.VERIFIED:
            continue
        keys = _claim_indicator(kind, detail)
        if kind == ClaimKind.CUSTOM and indicator_id in custom_keys:
            keys = [custom_keys[indicator_id]]
        for key in keys:
            row.verified[key] += quantity if kind in (ClaimKind.JOBS, ClaimKind.CUSTOM) else 1
    running: dict[str, Decimal] = defaultdict(Decimal)
    targets = {i.key: i.target for i in programme.indicators if i.target}
    for q in spans:
        row = rows[q]
        for key, target in targets.items():
            running[key] += row.verified.get(key, Decimal(0))
            row.cumulative_percent[key] = round(float(running[key] / target) * 100, 1)
    return [rows[q] for q in spans]


CHART_W, CHART_H = 600, 220


@dataclass
class ChartLine:
    key: str
    title: str
    points: str  # SVG polyline points
    last_percent: float


def chart(report: Report, quarters_: list[QuarterRow]) -> list[ChartLine]:
    """One line per targeted indicator: cumulative % of target (capped at the top) per
    quarter, scaled to the chart's box."""
    if not quarters_:
        return []
    step = CHART_W / max(len(quarters_) - 1, 1)
    lines = []
    for indicator in report.programme.indicators:
        if not indicator.target:
            continue
        values = [q.cumulative_percent.get(indicator.key, 0.0) for q in quarters_]
        points = " ".join(
            f"{i * step:.1f},{CHART_H - min(v, 100) / 100 * CHART_H:.1f}"
            for i, v in enumerate(values)
        )
        lines.append(ChartLine(indicator.key, indicator.title, points, values[-1]))
    return lines


@dataclass
class NetworkRow:
    name: str
    hours: float = 0.0
    businesses: set[int] = field(default_factory=set)
    assisted: int = 0


def by_network(report: Report, names: dict[int, str]) -> list[NetworkRow]:
    """Hours given at each network's events and the businesses they reached; a business
    assisted programme-wide counts in every network that supported it."""
    rows: dict[int | None, NetworkRow] = {nid: NetworkRow(name) for nid, name in names.items()}
    for e in report.evidence:
        row = rows.setdefault(e.network_id, NetworkRow("No network"))
        row.hours += e.hours
        if e.hours > 0:
            row.businesses.add(e.organisation_id)
    assisted = {r.organisation_id for r in report.rows if r.assisted}
    for row in rows.values():
        row.assisted = len(row.businesses & assisted)
    return sorted(rows.values(), key=lambda r: (r.name == "No network", r.name))


@dataclass
class ImprovementRow:
    key: str
    title: str
    assisted: Change
    others: Change


def improvement(report: Report) -> list[ImprovementRow]:
    """Change since the baseline (first to latest benchmark), assisted businesses against
    the others, per pillar and overall; groups under five are hidden. One query."""
    by_org: dict[int, list[BenchmarkResponse]] = defaultdict(list)
    for response in db.session.execute(
        select(BenchmarkResponse)
        .where(BenchmarkResponse.status == "submitted")
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).scalars():
        by_org[response.organisation_id].append(response)
    assisted = {r.organisation_id for r in report.rows if r.assisted}
    journeys = [(org, rs[0], rs[-1]) for org, rs in by_org.items() if len(rs) > 1]

    def row(key: str, title: str) -> ImprovementRow:
        groups: dict[bool, list[float]] = {True: [], False: []}
        for org, first, last in journeys:
            if key == "overall":
                before, after = first.overall_score, last.overall_score
            else:
                before = (first.pillar_scores or {}).get(key)
                after = (last.pillar_scores or {}).get(key)
            if before is not None and after is not None:
                groups[org in assisted].append(after - before)
        return ImprovementRow(key, title, Change.of(groups[True]), Change.of(groups[False]))

    pillars = current_questionnaire().pillars
    return [row(p.key, p.title) for p in pillars] + [row("overall", "Overall")]
