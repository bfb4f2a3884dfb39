"""Delegates' side of registration questions: the terms a consent links to, and changing
one's answers until the organisers' cut-off."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.events.models import Event
from app.extensions import db
from app.questions import services
from app.questions.fields import question_fields
from app.questions.models import QuestionKind, RegistrationQuestion
from app.registration.forms import ActionForm
from app.registration.models import Registration
from app.timeutil import utcnow

bp = Blueprint("questions", __name__)


@bp.get("/questions/<int:question_id>/terms")
def terms(question_id: int):
    question = db.session.get(RegistrationQuestion, question_id)
    event = db.session.get(Event, question.event_id) if question else None
    visible = event is not None and (
        event.is_public or (current_user.is_authenticated and current_user.is_organiser)
    )
    if not visible or question.kind != QuestionKind.CONSENT or not question.terms_text:
        abort(404, "There are no such terms.")
    return render_template("questions/terms.html", question=question, event=event)


def form_context(event: Event, data, errors, questions=None) -> dict:
    """What questions/_fields.html needs for `event`'s questions (`questions`: already read)."""
    if questions is None:
        questions = services.questions_for(event.id)
    names = {t.id: t.name for t in event.ticket_types}
    return {"question_fields": question_fields(questions, data, errors, names, event)}


@bp.route("/me/registrations/<int:registration_id>/answers", methods=["GET", "POST"])
@login_required
def edit_answers(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404, "There is no such registration of yours.")
    event = registration.event
    now = utcnow()
    editable = services.can_edit_answers(registration, now)
    questions = services.questions_for(event.id)
    asked = [q for q in questions if q.applies_to(registration.ticket_type_id)]
    answers = services.answers_by_registration([registration.id]).get(registration.id, {})
    data = services.form_values(answers)
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400, "Your form expired. Please try again.")
        parsed = services.parse_answers(asked, registration.ticket_type_id, request.form)
        data, errors = request.form, parsed.errors
        if parsed.ok:
            try:
                services.update_answers(current_user._get_current_object(), registration,
                                        parsed, now)  # fmt: skip
            except services.QuestionError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                status = 409
            else:
                db.session.commit()
                flash("Your answers are saved.", "success")
                return redirect(url_for("registration.my_tickets"), code=303)
        else:
            status = 422
    names = {t.id: t.name for t in event.ticket_types}
    return render_template(
        "questions/edit_answers.html",
        registration=registration,
        event=event,
        editable=editable,
        cutoff=services.answers_cutoff(event),
        answers=[(q, services.display(answers.get(q.id))) for q in asked],
        question_fields=question_fields(asked, data, errors, names, event),
        form=ActionForm(),
    ), status
