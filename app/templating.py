"""Jinja filters and globals shared by every template."""

from datetime import datetime

from flask import Flask

from app.markup import render_markdown
from app.pillars import pillar_title
from app.registration.labels import status_label
from app.timeutil import LONDON, to_local


def format_local(value: datetime | None, fmt: str = "%a %-d %b %Y, %H:%M", tz: str = LONDON) -> str:
    if value is None:
        return ""
    return to_local(value, tz).strftime(fmt)


def format_pence(pence: int | None, currency: str = "GBP") -> str:
    """A price: 'Free' when there is nothing to pay."""
    if not pence:
        return "Free"
    return format_amount(pence, currency)


def format_amount(pence: int | None, currency: str = "GBP") -> str:
    """A sum of money, zero included ('£0.00'), for totals and reports."""
    pence = pence or 0
    symbol = "£" if currency == "GBP" else f"{currency} "
    return f"{symbol}{pence / 100:,.2f}"


def date_range(starts: datetime, ends: datetime, tz: str = LONDON) -> str:
    """'Tue 15 Sep 2026, 09:00–17:00' or, across days, '15 Sep 2026 09:00 – 16 Sep 2026 17:00'."""
    s, e = to_local(starts, tz), to_local(ends, tz)
    if s.date() == e.date():
        return f"{s:%a %-d %b %Y}, {s:%H:%M}–{e:%H:%M}"
    return f"{s:%a %-d %b %Y %H:%M} – {e:%a %-d %b %Y %H:%M}"


def register_template_helpers(app: Flask) -> None:
    from app.hosts.brief import postcode_map_url
    from app.hosts.gate import hosts_visits
    from app.organiser import links

    @app.context_processor
    def organiser_links() -> dict:
        existing = app.view_functions
        return {
            "organiser_nav_extra": [n for n in links.NAV if n[0] in existing],
            "organiser_event_links": [n for n in links.EVENT_LINKS if n[0] in existing],
            # Pages link to another package's views only when it is installed.
            "view_names": existing,
        }

    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["amount"] = format_amount
    app.jinja_env.filters["pillar"] = pillar_title
    app.jinja_env.filters["postcode_map"] = postcode_map_url
    app.jinja_env.filters["registration_status"] = status_label
    app.jinja_env.globals["date_range"] = date_range
    app.jinja_env.globals["stripe_enabled"] = lambda: bool(app.config.get("STRIPE_SECRET_KEY"))
    # The navigation's "Site visits" link, for a host business's members.
    app.jinja_env.globals["hosts_visits"] = hosts_visits
