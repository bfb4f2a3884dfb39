"""Organiser view of an event's emails: each message's state, failed ones sent again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.events.models import Event
from app.extensions import db
from app.organiser import bp
from app.outbox import services
from app.outbox.models import STATUSES
from app.registration.forms import ActionForm

FILTERS = {"": "All", "failed": "Failed", "queued": "Waiting", "sent": "Sent"}


@bp.get("/events/<int:event_id>/emails")
def event_emails(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    status = request.args.get("status", "")
    if status not in FILTERS:
        abort(400, "Unknown filter: choose failed, queued or sent.")
    return render_template(
        "organiser/emails.html",
        event=event,
        status=status,
        filters=FILTERS,
        counts=services.event_counts(event.id),
        messages=services.event_messages(event.id, status or None),
        statuses=STATUSES,
        form=ActionForm(),
    )


@bp.post("/events/<int:event_id>/emails/resend")
def resend_event_emails(event_id: int):
    """Every failed email of the event again, or one (`message` in the form)."""
    event = db.get_or_404(Event, event_id, description="No such event.")
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    raw = request.form.get("message", "")
    if raw and not (raw.isdigit() and len(raw) < 10):
        abort(400, "That is not an email of this event.")
    try:
        n = services.resend_failed(
            current_user._get_current_object(), event.id, int(raw or 0) or None
        )
    except services.OutboxError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        if n:
            flash(f"{n} email{'' if n == 1 else 's'} queued to send again.", "success")
        else:
            flash("No failed emails to send again.", "info")
    return redirect(url_for("organiser.event_emails", event_id=event.id, status="failed"), 303)
