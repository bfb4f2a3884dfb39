"""Organiser views: benchmark completion and programme-wide score distribution, and a CSV
export of organisation-level results for the programme team."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.benchmark import services
from app.benchmark.impact import programme_impact
from app.benchmark.overview import export_rows, programme_overview
from app.benchmark.peers import HISTOGRAM_BANDS, MIN_GROUP
from app.benchmark.questionnaire import current_questionnaire
from app.benchmark.sic import sector_name
from app.csvexport import csv_response
from app.organiser import bp
from app.timeutil import utcnow

METRIC_COLUMNS = (
    "turnover_gbp",
    "purchases_gbp",
    "fte",
    "export_share_pct",
    "on_time_delivery_pct",
    "right_first_time_pct",
)


@bp.get("/benchmark")
def benchmark_overview():
    overview = programme_overview(current_user)
    questionnaire = current_questionnaire()
    return render_template(
        "organiser/benchmark.html",
        o=overview,
        impact=programme_impact(),
        pillars=[(p.key, p.title) for p in questionnaire.pillars],
        histogram_bands=HISTOGRAM_BANDS,
        min_group=MIN_GROUP,
    )


@bp.get("/benchmark/export.csv")
def benchmark_export():
    rows = export_rows(current_user)
    pillar_keys = current_questionnaire().pillar_keys
    table = [
        [
            "organisation",
            "companies_house_number",
            "sector",
            "sector_name",
            "size_band",
            "submissions",
            "latest_submitted_at",
            "submitted_by",
            "questionnaire_version",
            "scoring_version",
            "overall",
            "band",
            *pillar_keys,
            "gva_per_fte",
            *METRIC_COLUMNS,
            "baseline_submitted_at",
            "baseline_overall",
            "change_since_baseline",
            "valid",
        ]
    ]
    now = utcnow()
    for row in rows:
        latest, first, org = row.latest, row.first, row.organisation
        scores = latest.pillar_scores or {}
        metrics = latest.metrics or {}
        change = (
            round(latest.overall_score - first.overall_score, 1) if first.id != latest.id else ""
        )
        table.append(
            [
                org.name,
                org.companies_house_number,
                org.sector,
                sector_name(org.sector) if org.sector else None,
                org.size_band,
                row.submissions,
                latest.submitted_at.strftime("%Y-%m-%d %H:%M"),
                latest.submitted_by.name if latest.submitted_by else None,
                latest.questionnaire_version,
                latest.scoring_version or "",
                latest.overall_score,
                latest.band,
                *[scores.get(k) for k in pillar_keys],
                "" if latest.gva_per_fte is None else round(latest.gva_per_fte),
                *[metrics.get(k) for k in METRIC_COLUMNS],
                first.submitted_at.strftime("%Y-%m-%d %H:%M"),
                first.overall_score,
                change,
                "yes" if services.is_valid(latest, now) else "no",
            ]
        )
    return csv_response(table, f"benchmark-results-{now:%Y-%m-%d}.csv")
