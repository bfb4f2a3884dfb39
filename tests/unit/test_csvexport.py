"""CSV downloads: formula-like text is defused, numbers and blanks stay as they are."""

import csv
import io

from app.csvexport import csv_response, safe_cell


def test_safe_cell_defuses_formulas_only_in_text():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for start in ("+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1") == "'" + start + "1"
    assert safe_cell("Ann O'Neil") == "Ann O'Neil"
    assert safe_cell(-3.5) == -3.5 and safe_cell(0) == 0
    assert safe_cell(None) == ""


def test_csv_response_is_a_private_download_with_a_byte_order_mark(app):
    with app.test_request_context():
        response = csv_response([["Name", "Score"], ["=cmd", -2], ["Zoë", None]], "out.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="out.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["Name", "Score"],
        ["'=cmd", "-2"],
        ["Zoë", ""],
    ]
