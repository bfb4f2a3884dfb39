"""iCalendar feeds: the event, one session, and a delegate's personal feed."""

from __future__ import annotations

from datetime import UTC

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from app.extensions import db
from app.feeds import services
from app.feeds.links import (
    calendar_links,
    google_subscribe_url,
    outlook_subscribe_url,
    webcal_url,
)

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


@bp.record_once
def _template_helpers(state) -> None:
    # Used by macros/calendar.html (add_to_calendar), which any page may import.
    state.app.jinja_env.globals["calendar_links"] = calendar_links


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _calendar_response(feed: services.Feed, private: bool = False) -> Response:
    """The feed, or 304 when the client's copy is current (the body is not even built)."""
    last_modified = feed.last_modified.replace(tzinfo=UTC, microsecond=0)
    # A personal feed can lose an entry (a star removed) without any timestamp moving, so
    # only its ETag may answer "not modified"; Last-Modified is sent for information.
    unchanged = not is_resource_modified(
        request.environ, etag=feed.etag, last_modified=None if private else last_modified
    )
    if unchanged:
        response = Response(status=304)
    else:
        response = Response(feed.to_ical(), content_type=CONTENT_TYPE)
        response.headers.set("Content-Disposition", "attachment", filename=feed.filename)
    response.set_etag(feed.etag)
    response.last_modified = last_modified
    if private:
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    return response


@bp.get("/events/<slug>/calendar.ics")
def event_ics(slug: str):
    feed = services.event_feed(slug, _base_url())
    if feed is None:
        abort(404, "There is no published event at this address.")
    return _calendar_response(feed)


@bp.get("/events/<slug>/sessions/<int:session_id>.ics")
def session_ics(slug: str, session_id: int):
    feed = services.session_feed(slug, session_id, _base_url())
    if feed is None:
        abort(404, "This event has no published session with that number.")
    return _calendar_response(feed)


@bp.get("/calendar/<token>.ics")
def personal_ics(token: str):
    feed = services.personal_feed_for_token(token, _base_url())
    if feed is None:
        abort(404, "This calendar link is not valid. It may have been reset or turned off.")
    return _calendar_response(feed, private=True)


# ---- the delegate's calendar settings ------------------------------------------------------


@bp.get("/me/calendar")
@login_required
def calendar_settings():
    token = current_user.calendar_token
    context: dict = {"token": token}
    if token:
        https_url = _base_url() + url_for("feeds.personal_ics", token=token)
        feed = services.personal_feed(current_user, _base_url())
        context.update(
            https_url=https_url,
            webcal_url=webcal_url(https_url),
            google_url=google_subscribe_url(https_url),
            outlook_url=outlook_subscribe_url(https_url, services.PERSONAL_FEED_NAME),
            event_count=len(feed.events),
            session_count=len(feed.sessions),
        )
    response = Response(render_template("feeds/calendar_settings.html", **context))
    # The page shows a secret: keep it out of shared caches and other sites' logs.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/me/calendar/reset")
@login_required
def reset_calendar_token():
    had_token = current_user.calendar_token is not None
    services.reset_calendar_token(current_user)
    db.session.commit()
    if had_token:
        flash("Your calendar link has been reset. The old link no longer works.", "success")
    else:
        flash("Your calendar link is ready. Add it to your calendar app below.", "success")
    return redirect(url_for("feeds.calendar_settings"))


@bp.post("/me/calendar/revoke")
@login_required
def revoke_calendar_token():
    services.revoke_calendar_token(current_user)
    db.session.commit()
    flash("Your calendar link has been turned off.", "success")
    return redirect(url_for("feeds.calendar_settings"))
