"""The host's gatehouse list, as a spreadsheet and as a printable A4 page."""

from __future__ import annotations

from flask import render_template

from app.csvexport import csv_response
from app.hosts import gatehouse
from app.hosts.brief import brief_for
from app.hosts.routes import _visit, bp
from app.timeutil import utcnow


@bp.get("/host/<slug>/visitors.csv")
def visitors_csv(slug: str):
    event = _visit(slug)
    return csv_response(gatehouse.csv_rows(event), f"{event.slug}-visitors.csv")


@bp.get("/host/<slug>/visitors/print")
def visitors_print(slug: str):
    event = _visit(slug)
    response = render_template(
        "hosts/visitors_print.html",
        event=event,
        visitors=gatehouse.visitors(event),
        asks_vehicle=gatehouse.asks_vehicle(event),
        brief=brief_for(event.id),
        printed_at=utcnow(),
    )
    return response, 200, {"Cache-Control": "private, no-store"}
