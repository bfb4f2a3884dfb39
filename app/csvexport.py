"""CSV downloads for organisers: cells a spreadsheet will not run, and one way to send them.

Every `….csv` download also answers at `….xlsx` (add_xlsx_twins): the same view, and
csv_response sends an Excel workbook when the address asks for one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Flask, Response, request
from openpyxl import Workbook

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Spreadsheets run text cells that start like a formula; such text gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_response(rows: Iterable[Iterable], filename: str) -> Response:
    """A private CSV download (or the same table as a workbook, asked for as `.xlsx`). The
    byte-order mark makes spreadsheets read accents right."""
    if request.path.endswith(".xlsx"):
        return _xlsx(rows, filename.removesuffix(".csv") + ".xlsx")
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(v) for v in row] for row in rows)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _xlsx(rows: Iterable[Iterable], filename: str) -> Response:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename.removesuffix(".xlsx")[:31])
    for row in rows:
        # openpyxl stores text starting with "=" as a formula: the same guard as the CSV.
        sheet.append([safe_cell(v) for v in row])
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


def add_xlsx_twins(app: Flask) -> None:
    """For each GET rule ending in .csv, the same view at .xlsx (unless one exists)."""
    taken = {r.rule for r in app.url_map.iter_rules()}
    for rule in list(app.url_map.iter_rules()):
        twin = rule.rule.removesuffix(".csv") + ".xlsx"
        if not rule.rule.endswith(".csv") or "GET" not in rule.methods or twin in taken:
            continue
        app.add_url_rule(twin, endpoint=rule.endpoint, view_func=app.view_functions[rule.endpoint])
