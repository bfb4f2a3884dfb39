"""Links that hand an entry or a feed to Google Calendar and Outlook.com (pure functions)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

# Long texts make URLs some browsers and services refuse; the .ics carries the full text.
MAX_DETAILS = 1000


def _query(params: dict[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="")


def _details(details: str) -> str:
    details = (details or "").strip()
    return details if len(details) <= MAX_DETAILS else details[: MAX_DETAILS - 1] + "…"


def google_calendar_url(
    title: str, starts_at: datetime, ends_at: datetime, location: str = "", details: str = ""
) -> str:
    """Google Calendar's "create event" page, pre-filled. Times are naive UTC."""
    dates = f"{starts_at:%Y%m%dT%H%M%SZ}/{ends_at:%Y%m%dT%H%M%SZ}"
    params = {"action": "TEMPLATE", "text": title, "dates": dates}
    if details:
        params["details"] = _details(details)
    if location:
        params["location"] = location
    return "https://calendar.google.com/calendar/render?" + _query(params)


def outlook_calendar_url(
    title: str, starts_at: datetime, ends_at: datetime, location: str = "", details: str = ""
) -> str:
    """Outlook.com's compose page, pre-filled. Times are naive UTC."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": f"{starts_at:%Y-%m-%dT%H:%M:%S}Z",
        "enddt": f"{ends_at:%Y-%m-%dT%H:%M:%S}Z",
    }
    if details:
        params["body"] = _details(details)
    if location:
        params["location"] = location
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + _query(params)


def calendar_links(
    title: str, starts_at: datetime, ends_at: datetime, location: str = "", details: str = ""
) -> dict[str, str]:
    """{"google": ..., "outlook": ...} for the add-to-calendar macro."""
    args = (title, starts_at, ends_at, location or "", details or "")
    return {"google": google_calendar_url(*args), "outlook": outlook_calendar_url(*args)}


def webcal_url(https_url: str) -> str:
    """The same feed for "subscribe" handlers (Apple Calendar, Outlook desktop)."""
    scheme, sep, rest = https_url.partition("://")
    return f"webcal://{rest}" if sep else https_url


def google_subscribe_url(https_url: str) -> str:
    return "https://calendar.google.com/calendar/r?" + _query({"cid": webcal_url(https_url)})


def outlook_subscribe_url(https_url: str, name: str) -> str:
    return "https://outlook.live.com/calendar/0/addfromweb?" + _query(
        {"url": https_url, "name": name}
    )
