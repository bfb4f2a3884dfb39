"""The funder return (one row per business, CSV and XLSX with the same cells) and the
evidence behind one business's figures (CSV). Text is guarded against formula injection in
both formats; numbers and ISO dates are written identically in both."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask import Response
from openpyxl import Workbook

from app.csvexport import safe_cell
from app.outcomes.hours import Evidence
from app.outcomes.models import ClaimStatus, Declaration, OutcomeClaim
from app.outcomes.report import NOT_NAMED, Report
from app.outcomes.services import HEADCOUNT_BANDS, TURNOVER_BANDS
from app.timeutil import to_local

V, C = ClaimStatus.VERIFIED, ClaimStatus.CLAIMED
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RETURN_COLUMNS = [
    "organisation",
    "companies_house_number",
    "support_hours",
    "assisted",
    "assisted_on",
    "declaration_signed",
    "jobs_fte_claimed",
    "jobs_fte_verified",
    "new_products_claimed",
    "new_products_verified",
    "collaborations_claimed",
    "collaborations_verified",
    "start_up",
    # beyond the contract's columns
    "people_supported",
    "threshold_reached_on",
    "declaration_version",
    "declaration_signed_on",
    "sme",
    "headcount_band",
    "turnover_band",
    "subsidies_gbp",
    "over_subsidy_limit",
    "consent_to_name",
    "new_to_market_verified",
    "research_collaborations_verified",
    "start_up_claimed",
]


def number(value) -> int | float:
    """2 decimal places at most; whole numbers as integers, so both formats read alike."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def return_rows(report: Report) -> list[list]:
    limit = report.programme.mfa_limit_gbp
    customs = [i for i in report.programme.indicators if not i.built_in]
    header = RETURN_COLUMNS + [
        f"{i.title} ({status})" for i in customs for status in ("claimed", "verified")
    ]
    table: list[list] = [header]
    for r in report.rows:
        d: Declaration | None = r.declaration
        table.append(
            [
                r.name if r.named else NOT_NAMED,
                (r.companies_house_number or "") if r.named else "",
                number(r.hours),
                _yes(r.assisted),
                _iso(r.assisted_on),
                _yes(r.declaration_signed),
                number(r.jobs[C]),
                number(r.jobs[V]),
                r.products[C],
                r.products[V],
                r.collaborations[C],
                r.collaborations[V],
                _yes(r.start_up[V] > 0),
                r.people,
                _iso(r.reached_on),
                d.version if d else "",
                _iso(d.signed_on) if d else "",
                _yes(r.sme),
                HEADCOUNT_BANDS[d.headcount_band] if d else "",
                TURNOVER_BANDS[d.turnover_band] if d else "",
                d.subsidies_gbp if d else "",
                _yes(r.over_subsidy_limit(limit)) if d else "",
                _yes(d.consent_to_name) if d else "",
                r.new_to_market,
                r.research[V],
                _yes(r.start_up[C] > 0),
                *[number(r.custom[(i.id, s)]) for i in customs for s in (C, V)],
            ]
        )
    return table


def xlsx_response(rows: list[list], filename: str, title: str) -> Response:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row in rows:
        # openpyxl stores text starting with "=" as a formula: the same guard as the CSV.
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    workbook.save(out)
    return Response(
        out.getvalue(),
        mimetype=XLSX_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


EVIDENCE_COLUMNS = [
    "record",
    "person",
    "event",
    "place",
    "checked_in_at",
    "scanned_by",
    "credited_from",
    "credited_to",
    "hours_counted",
    "note",
]


def _local(value) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def evidence_rows(
    evidence: list[Evidence],
    declarations: list[Declaration],
    claims: list[OutcomeClaim],
) -> list[list]:
    """One business's check-ins (times in UK time, where, who scanned), then its
    declarations and verified claims, under one header."""
    table: list[list] = [EVIDENCE_COLUMNS]
    for e in evidence:
        spans = e.spans or [(None, None)]
        table.append(
            [
                "check-in",
                e.person,
                e.event_title,
                e.session_title or "Event entrance",
                _local(e.checked_in_at),
                e.scanned_by,
                _local(spans[0][0]),
                _local(spans[-1][1]),
                number(e.hours),
                e.note,
            ]
        )
    for d in declarations:
        table.append(
            [
                f"declaration v{d.version}",
                d.signed_name,
                "",
                "",
                d.signed_on.isoformat(),
                "",
                "",
                "",
                "",
                f"headcount {HEADCOUNT_BANDS[d.headcount_band]}; "
                f"turnover {TURNOVER_BANDS[d.turnover_band]}; subsidies £{d.subsidies_gbp:,}; "
                f"consent to be named: {_yes(d.consent_to_name)}",
            ]
        )
    for c in claims:
        if c.status != ClaimStatus.VERIFIED:
            continue
        quantity = number(c.quantity) if isinstance(c.quantity, Decimal) else c.quantity
        table.append(
            [
                f"claim: {c.kind}",
                c.title,
                "",
                c.detail,
                c.occurred_on.isoformat(),
                "",
                "",
                "",
                quantity,
                f"{c.description} (verified: {c.review_note})",
            ]
        )
    return table
