"""The delegate's feedback form for an event they attended."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.events.models import Event
from app.extensions import db
from app.feedback.forms import FeedbackForm
from app.feedback.services import (
    FeedbackError,
    feedback_of,
    feedback_registration,
    save_feedback,
)

bp = Blueprint("feedback", __name__)


@bp.route("/events/<slug>/feedback", methods=["GET", "POST"])
@login_required
def give(slug: str):
    event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None or not event.is_public:
        abort(404, "There is no published event at this address.")
    try:
        registration = feedback_registration(current_user, event)
    except FeedbackError as exc:
        return render_template("feedback/closed.html", event=event, reason=str(exc)), 403
    existing = feedback_of(registration)
    form = FeedbackForm()
    if not form.is_submitted() and existing is not None:
        form.rating.data = str(existing.rating)
        form.recommend.data = "yes" if existing.recommend else "no"
        form.pillars.data = list(existing.pillars)
        form.actions.data = existing.actions
        form.comments.data = existing.comments
    if form.validate_on_submit():
        save_feedback(
            registration,
            rating=int(form.rating.data),
            recommend=form.recommend.data == "yes",
            pillars=form.pillars.data,
            actions=form.actions.data or "",
            comments=form.comments.data or "",
        )
        db.session.commit()
        flash("Thank you: your feedback helps shape the next events.", "success")
        return redirect(url_for("registration.my_tickets"))
    status = 422 if form.is_submitted() else 200
    return render_template("feedback/form.html", event=event, form=form, existing=existing), status
