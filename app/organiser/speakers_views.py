"""Organiser views: the programme's speakers (list, add, edit with a photo, remove)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.events.agenda_forms import OrganiserSpeakerForm
from app.events.models import SessionSpeaker, Speaker
from app.events.speaker_services import (
    SpeakerData,
    SpeakerError,
    create_speaker,
    delete_speaker,
    links_text,
    parse_links,
    update_speaker,
)
from app.extensions import db
from app.formutil import prefill
from app.organiser import bp
from app.organiser.forms import StatusForm


@bp.get("/speakers")
def speakers():
    rows = db.session.execute(select(Speaker).order_by(Speaker.name)).scalars().all()
    counts = dict(
        db.session.execute(
            select(SessionSpeaker.speaker_id, func.count()).group_by(SessionSpeaker.speaker_id)
        ).all()
    )
    return render_template("organiser/speakers.html", speakers=rows, counts=counts)


def _speaker_data(form: OrganiserSpeakerForm) -> SpeakerData:
    return SpeakerData(
        name=form.name.data or "",
        job_title=form.job_title.data or "",
        organisation=form.organisation.data or "",
        bio=form.bio.data or "",
        links=parse_links(form.links.data or ""),
        slug=form.slug.data or None,
    )


def _upload(form) -> bytes | None:
    upload = form.photo.data
    return upload.read() if upload and getattr(upload, "filename", "") else None


@bp.route("/speakers/new", methods=["GET", "POST"])
def new_speaker():
    form = OrganiserSpeakerForm()
    if form.validate_on_submit():
        try:
            speaker = create_speaker(
                current_user, _speaker_data(form), _upload(form), form.user_email.data or ""
            )
        except SpeakerError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "danger")
            return render_template("organiser/speaker_form.html", form=form, speaker=None), 400
        db.session.commit()
        flash(f"{speaker.name} added.", "success")
        return redirect(url_for("organiser.speakers"))
    status = 400 if form.errors else 200
    return render_template("organiser/speaker_form.html", form=form, speaker=None), status


@bp.route("/speakers/<int:speaker_id>", methods=["GET", "POST"])
def edit_speaker(speaker_id: int):
    speaker = db.get_or_404(Speaker, speaker_id, description="No such speaker.")
    form = OrganiserSpeakerForm()
    if request.method == "GET":
        prefill(
            form,
            speaker,
            links=links_text(speaker.links),
            user_email=speaker.user.email if speaker.user else "",
        )
    if form.validate_on_submit():
        try:
            update_speaker(
                current_user,
                speaker,
                _speaker_data(form),
                _upload(form),
                remove_photo=form.remove_photo.data,
                user_email=form.user_email.data or "",
            )
        except SpeakerError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "danger")
            speaker = db.session.get(Speaker, speaker_id)
            return render_template("organiser/speaker_form.html", form=form, speaker=speaker), 400
        db.session.commit()
        flash(f"{speaker.name} saved.", "success")
        return redirect(url_for("organiser.speakers"))
    status = 400 if form.errors else 200
    return render_template("organiser/speaker_form.html", form=form, speaker=speaker), status


@bp.post("/speakers/<int:speaker_id>/delete")
def remove_speaker(speaker_id: int):
    speaker = db.get_or_404(Speaker, speaker_id, description="No such speaker.")
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    name = speaker.name
    try:
        delete_speaker(current_user, speaker)
    except SpeakerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("organiser.edit_speaker", speaker_id=speaker_id))
    db.session.commit()
    flash(f"{name} removed.", "info")
    return redirect(url_for("organiser.speakers"))
