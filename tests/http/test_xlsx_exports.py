"""Every CSV download also comes as an Excel workbook with the same cells."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from app.auth.models import Role
from app.csvexport import XLSX_MIMETYPE
from app.extensions import db
from tests.factories import make_event, make_user
from tests.factories_checkin import make_registration


def test_every_csv_route_has_an_xlsx_twin(app):
    rules = {r.rule: r for r in app.url_map.iter_rules()}
    csv_rules = [r for r in rules if r.endswith(".csv") and "GET" in rules[r].methods]
    assert len(csv_rules) >= 6
    for rule in csv_rules:
        twin = rules.get(rule.removesuffix(".csv") + ".xlsx")
        assert twin is not None and "GET" in twin.methods, rule


def test_the_workbook_holds_the_csv_cells_with_the_formula_guard(client, login):
    event = make_event(slug="lean-day")
    make_registration(event, make_user(name='=HYPERLINK("http://x")'))
    make_registration(event, make_user(name="Ann Able"))
    boss = make_user(Role.ORGANISER)
    db.session.commit()
    login(boss)
    as_csv = client.get(f"/organiser/events/{event.id}/registrations.csv")
    as_xlsx = client.get(f"/organiser/events/{event.id}/registrations.xlsx")
    assert as_xlsx.status_code == 200 and as_xlsx.mimetype == XLSX_MIMETYPE
    assert (
        as_xlsx.headers["Content-Disposition"]
        == 'attachment; filename="lean-day-registrations.xlsx"'
    )
    assert as_xlsx.headers["Cache-Control"] == "private, no-store"
    csv_rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    xlsx_rows = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert xlsx_rows == csv_rows
    assert '\'=HYPERLINK("http://x")' in {cell for row in xlsx_rows for cell in row}
    # Not stored as a formula.
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_xlsx_is_for_organisers_like_the_csv(client, login):
    event = make_event()
    db.session.commit()
    login(make_user())
    assert client.get(f"/organiser/events/{event.id}/registrations.xlsx").status_code == 403
