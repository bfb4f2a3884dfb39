"""Organiser views: an event's registration questions, their order, presets and summary."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.events.models import Event
from app.extensions import db
from app.formutil import options, prefill
from app.organiser import bp
from app.organiser.forms import StatusForm
from app.questions import services
from app.questions.forms import CutoffForm, QuestionForm
from app.questions.models import KIND_LABELS, RegistrationQuestion
from app.timeutil import to_local, to_utc

FORM_FIELDS = ("label", "kind", "help_text", "required", "allow_other", "link_url",
               "terms_text", "sensitive", "ticket_type_ids")  # fmt: skip


def _event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


def _question_or_404(question_id: int) -> RegistrationQuestion:
    return db.get_or_404(RegistrationQuestion, question_id, description="No such question.")


def _checked() -> None:
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")


def _back(event_id: int):
    return redirect(url_for("organiser.questions", event_id=event_id), code=303)


@bp.get("/events/<int:event_id>/questions")
def questions(event_id: int):
    event = _event_or_404(event_id)
    cutoff = CutoffForm()
    if event.answers_editable_until:
        cutoff.until.data = _local(event.answers_editable_until, event.timezone)
    return render_template(
        "organiser/questions.html",
        event=event,
        summaries=services.summarise(event),
        ticket_names={t.id: t.name for t in event.ticket_types},
        presets=services.PRESETS,
        kind_labels=KIND_LABELS,
        cutoff_form=cutoff,
        cutoff=services.answers_cutoff(event),
        form=StatusForm(),
    )


def _local(value, tz: str):
    return to_local(value, tz).replace(tzinfo=None)


def _edit(event: Event, question: RegistrationQuestion | None):
    form = QuestionForm()
    form.ticket_type_ids.choices = options((t.id, t.name) for t in event.ticket_types)
    if request.method == "GET" and question is not None:
        prefill(form, question, choices="\n".join(question.choices))
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in FORM_FIELDS}
        values["choices"] = (form.choices.data or "").splitlines()
        try:
            services.save_question(current_user._get_current_object(), event, question,
                                   **values)  # fmt: skip
        except services.QuestionError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 422
        else:
            db.session.commit()
            flash("The question is saved.", "success")
            return _back(event.id)
    elif request.method == "POST":
        status = 422
    return render_template(
        "organiser/question_form.html", event=event, question=question, form=form,
        delete_form=StatusForm(),
    ), status  # fmt: skip


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
def new_question(event_id: int):
    return _edit(_event_or_404(event_id), None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(question_id: int):
    question = _question_or_404(question_id)
    return _edit(question.event, question)


@bp.post("/events/<int:event_id>/questions/preset/<preset>")
def add_question_preset(event_id: int, preset: str):
    event = _event_or_404(event_id)
    _checked()
    try:
        question = services.add_preset(current_user._get_current_object(), event, preset)
    except services.QuestionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"“{question.label}” is added.", "success")
    return _back(event.id)


@bp.post("/questions/<int:question_id>/move")
def move_question(question_id: int):
    question = _question_or_404(question_id)
    _checked()
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400, "Move a question up or down.")
    services.move_question(current_user._get_current_object(), question, step)
    db.session.commit()
    return _back(question.event_id)


@bp.post("/questions/<int:question_id>/delete")
def delete_question(question_id: int):
    question = _question_or_404(question_id)
    _checked()
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the deletion.", "danger")
        return redirect(url_for("organiser.edit_question", question_id=question.id), code=303)
    event_id, label = question.event_id, question.label
    gone = services.delete_question(current_user._get_current_object(), question)
    db.session.commit()
    flash(f"“{label}” is deleted" + (f", with {gone} answers." if gone else "."), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/questions/cutoff")
def set_answers_cutoff(event_id: int):
    event = _event_or_404(event_id)
    form = CutoffForm()
    if not form.validate_on_submit():
        flash("Give the cut-off as a date and time, or leave it empty.", "danger")
        return _back(event.id)
    until = to_utc(form.until.data, event.timezone) if form.until.data else None
    try:
        services.set_answers_cutoff(current_user._get_current_object(), event, until)
    except services.QuestionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("The cut-off for changing answers is saved.", "success")
    return _back(event.id)
