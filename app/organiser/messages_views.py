"""Organiser views for emailing the delegates of an event: write, preview, test, send now or
schedule; each announcement's page shows its progress, and changes or cancels it while it
waits."""

import uuid
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.events.models import Event
from app.extensions import db
from app.formutil import options
from app.messages.drafts import preview_announcement, send_test
from app.messages.forms import ACTIONS, AnnouncementForm, ScheduledAnnouncementForm
from app.messages.models import SCHEDULED, Announcement
from app.messages.scheduling import (
    cancel_announcement,
    change_scheduled_announcement,
    schedule_announcement,
    why_not_waiting,
)
from app.messages.services import (
    MessageError,
    audience_choices,
    audience_label,
    batch_of,
    event_announcements,
    find_sent,
    group_size,
    send_announcement,
)
from app.organiser import bp
from app.organiser.forms import StatusForm
from app.outbox.services import batch_progress
from app.timeutil import to_local, to_utc


@bp.route("/events/<int:event_id>/messages", methods=["GET", "POST"])
def messages(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    form = AnnouncementForm()
    choices = _audiences(form, event)
    status, extra = 200, {}
    if form.is_submitted():
        action = request.form.get("action") or "send"
        if action not in ACTIONS:
            extra["problem"] = "Choose one of the buttons: Preview, Send a test, Schedule or Send."
            status = 422
        elif not form.validate():
            status = 422
        else:
            outcome = _act(event, form, action)
            if not isinstance(outcome, dict):
                return outcome  # a redirect
            extra = outcome
            status = extra.pop("status", 200)
    if form.token.errors or not form.token.data:
        form.token.data = uuid.uuid4().hex
    return _page(event, form, choices, **extra), status


def _audiences(form: ScheduledAnnouncementForm, event: Event) -> list:
    """The groups to write to, each with its size, as the form's choices; returns them."""
    choices = audience_choices(event)
    form.audience.choices = options(
        [("", "Choose…")] + [(c.key, f"{c.label} ({c.count})") for c in choices]
    )
    return choices


def _act(event: Event, form: AnnouncementForm, action: str):
    """Do what the pressed button asks: a dict of what the page shows, or a redirect."""
    draft = (current_user, event, form.audience.data, form.subject.data, form.body.data)
    try:
        if action == "preview":
            return {"preview": preview_announcement(*draft)}
        if action == "test":
            preview = send_test(*draft)
            db.session.commit()
            return {"preview": preview, "tested": current_user.email}
        if not form.confirm.data:
            form.confirm.errors.append("Tick this box to send.")
            return {"status": 422}
        if action == "schedule":
            send_at = _send_at(event, form)
            if send_at is None:
                return {"status": 422}
            return _schedule(event, form, send_at)
        return _send(event, form)
    except MessageError as exc:
        db.session.rollback()
        form.audience.errors.append(str(exc))
        return {"status": 422}


def _send_at(event: Event, form: ScheduledAnnouncementForm) -> datetime | None:
    """The chosen time in UTC (the form reads it in the event's time zone), or None."""
    if form.send_at.data is None:
        form.send_at.errors.append("Choose the date and time to send it.")
        return None
    try:
        return to_utc(form.send_at.data, event.timezone)
    except (OverflowError, ValueError):  # year 1 or 9999 on the wrong side of UTC
        form.send_at.errors.append("Choose a time within the next year.")
        return None


def _page(event: Event, form: AnnouncementForm, choices, **extra) -> str:
    announcements = event_announcements(event)
    return render_template(
        "organiser/messages.html",
        event=event,
        form=form,
        choices=choices,
        chosen=next((c for c in choices if c.key == form.audience.data), None),
        scheduled=[a for a in announcements if a.status == SCHEDULED],
        reach={c.key: c.count for c in choices},  # each group's size now, for the scheduled
        past=[a for a in announcements if a.status != SCHEDULED],
        progress=batch_progress([batch_of(a) for a in announcements]),
        batch_of=batch_of,
        audience_label=audience_label,
        cancel_form=StatusForm(),
        **extra,
    )


def _send(event: Event, form: AnnouncementForm):
    announcement = _saved(form, send_announcement, event)
    n = announcement.recipients
    flash(f"“{announcement.subject}” is on its way to {n} {'person' if n == 1 else 'people'}.",
          "success")  # fmt: skip
    return redirect(_announcement_url(announcement))


def _schedule(event: Event, form: AnnouncementForm, send_at: datetime):
    announcement = _saved(form, schedule_announcement, event, send_at)
    flash(f"“{announcement.subject}” is scheduled. You can cancel it here until it goes.",
          "success")  # fmt: skip
    return redirect(_announcement_url(announcement))


def _saved(form: AnnouncementForm, write, event: Event, *more) -> Announcement:
    """Send or schedule the form's announcement and commit; the same form posted twice at the
    same moment finds the one the other request made."""
    try:
        announcement = write(
            current_user, event, form.audience.data, form.subject.data, form.body.data,
            form.token.data, *more,
        )  # fmt: skip
        db.session.commit()
    except IntegrityError:  # its form token is taken: the other request won
        db.session.rollback()
        announcement = find_sent(form.token.data)
        if announcement is None:
            raise
    return announcement


def _announcement_url(announcement: Announcement) -> str:
    return url_for(
        "organiser.announcement", event_id=announcement.event_id, announcement_id=announcement.id
    )


def _announcement_or_404(event_id: int, announcement_id: int) -> tuple[Event, Announcement]:
    event = db.get_or_404(Event, event_id, description="No such event.")
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None or announcement.event_id != event.id:
        abort(404, "No such announcement for this event.")
    return event, announcement


@bp.get("/events/<int:event_id>/messages/<int:announcement_id>", endpoint="announcement")
def announcement_page(event_id: int, announcement_id: int):
    return _announcement_page(*_announcement_or_404(event_id, announcement_id))


def _announcement_page(event: Event, announcement: Announcement, problem: str = "") -> str:
    batch = batch_of(announcement)
    return render_template(
        "organiser/announcement.html",
        event=event,
        a=announcement,
        reach=_reach(event, announcement),
        progress=batch_progress([batch])[batch],
        audience_label=audience_label(announcement),
        cancel_form=StatusForm(),
        problem=problem,
    )


def _reach(event: Event, announcement: Announcement) -> int:
    """How many the group of a scheduled announcement holds now (it goes to them as they are
    when it is due, not as they were when it was written)."""
    if announcement.status != SCHEDULED:
        return announcement.recipients
    try:
        return group_size(event, announcement.audience)[0]
    except MessageError:  # its session has gone
        return 0


@bp.post("/events/<int:event_id>/messages/<int:announcement_id>/cancel")
def cancel_scheduled_announcement(event_id: int, announcement_id: int):
    event, announcement = _announcement_or_404(event_id, announcement_id)
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    try:
        cancel_announcement(current_user, announcement)
    except MessageError as exc:
        db.session.rollback()
        return _announcement_page(event, announcement, str(exc)), 409
    db.session.commit()
    flash(f"“{announcement.subject}” is cancelled; nobody was sent it.", "info")
    return redirect(_announcement_url(announcement))


@bp.route(
    "/events/<int:event_id>/messages/<int:announcement_id>/edit",
    methods=["GET", "POST"],
    endpoint="edit_announcement",
)
def edit_scheduled_announcement(event_id: int, announcement_id: int):
    event, announcement = _announcement_or_404(event_id, announcement_id)
    if announcement.status != SCHEDULED:
        return _announcement_page(event, announcement, why_not_waiting("change", announcement)), 409
    form = ScheduledAnnouncementForm()
    choices = _audiences(form, event)
    status, problem, preview = 200, "", None
    if not form.is_submitted():
        _fill(form, announcement, event)
    elif request.form.get("action") == "preview":  # shows the changes, saves nothing
        status, problem, preview = _previewed(form, event)
    elif not form.validate() or (send_at := _send_at(event, form)) is None:
        status = 422
    else:
        try:
            change_scheduled_announcement(
                current_user, announcement, form.audience.data, form.subject.data,
                form.body.data, send_at,
            )  # fmt: skip
        except MessageError as exc:
            db.session.rollback()
            if announcement.status != SCHEDULED:  # it went, or was cancelled, meanwhile
                return _announcement_page(event, announcement, str(exc)), 409
            status, problem = 422, str(exc)
        else:
            db.session.commit()
            when = to_local(announcement.scheduled_for, event.timezone)
            flash(f"“{announcement.subject}” is changed. It goes {when:%a %-d %b at %H:%M}.",
                  "success")  # fmt: skip
            return redirect(_announcement_url(announcement))
    return render_template(
        "organiser/announcement_edit.html",
        event=event,
        a=announcement,
        form=form,
        choices=choices,
        chosen=next((c for c in choices if c.key == form.audience.data), None),
        problem=problem,
        preview=preview,
    ), status


def _fill(form: ScheduledAnnouncementForm, announcement: Announcement, event: Event) -> None:
    """The form as the announcement stands, its time in the event's time zone."""
    form.audience.data, form.subject.data = announcement.audience, announcement.subject
    form.body.data = announcement.body
    local = to_local(announcement.scheduled_for, event.timezone)
    form.send_at.data = local.replace(tzinfo=None)


def _previewed(form: ScheduledAnnouncementForm, event: Event) -> tuple[int, str, object]:
    """(status, problem, preview) for the form's Preview button: nothing is written."""
    if not form.validate():
        return 422, "", None
    try:
        draft = (form.audience.data, form.subject.data, form.body.data)
        return 200, "", preview_announcement(current_user, event, *draft)
    except MessageError as exc:
        return 422, str(exc), None
