"""Organiser view for emailing delegates of an event."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.events.models import Event
from app.extensions import db
from app.formutil import options
from app.messages.forms import AnnouncementForm
from app.messages.services import (
    MessageError,
    audience_choices,
    audience_label,
    batch_of,
    find_sent,
    send_announcement,
    sent_announcements,
)
from app.organiser import bp
from app.outbox.services import batch_progress


@bp.route("/events/<int:event_id>/messages", methods=["GET", "POST"])
def messages(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    form = AnnouncementForm()
    form.audience.choices = options(
        [("", "Choose…")] + [(c.key, f"{c.label} ({c.count})") for c in audience_choices(event)]
    )
    status = 200
    if form.validate_on_submit():
        if form.confirm.data:
            return _send(event, form)
        form.confirm.errors.append("Tick this box to send.")
        status = 422
    elif form.is_submitted():
        status = 422
    if form.token.errors or not form.token.data:
        form.token.data = uuid.uuid4().hex
    return _page(event, form), status


def _page(event: Event, form: AnnouncementForm) -> str:
    sent = sent_announcements(event)
    return render_template(
        "organiser/messages.html",
        event=event,
        form=form,
        sent=sent,
        progress=batch_progress([batch_of(a) for a in sent]),
        batch_of=batch_of,
        audience_label=audience_label,
    )


def _send(event: Event, form: AnnouncementForm):
    try:
        announcement = send_announcement(
            current_user, event, form.audience.data, form.subject.data, form.body.data,
            form.token.data,
        )  # fmt: skip
        db.session.commit()
    except MessageError as exc:
        db.session.rollback()
        form.audience.errors.append(str(exc))
        return _page(event, form), 422
    except IntegrityError:  # the same form sent twice at the same moment: the other one won
        db.session.rollback()
        announcement = find_sent(form.token.data)
        if announcement is None:
            raise
    n = announcement.recipients
    flash(f"“{announcement.subject}” is on its way to {n} {'person' if n == 1 else 'people'}.",
          "success")  # fmt: skip
    return redirect(url_for("organiser.messages", event_id=event.id))
