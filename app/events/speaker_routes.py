"""Public speaker pages, speaker photos, and a speaker's own profile editing."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app import pagecache
from app.events.agenda_forms import SpeakerForm
from app.events.agenda_services import KIND_LABELS
from app.events.models import Room, Speaker
from app.events.speaker_services import (
    SpeakerData,
    SpeakerError,
    links_text,
    parse_links,
    public_speakers,
    sessions_of_speaker,
    speaker_for_user,
    update_own_profile,
)
from app.extensions import db
from app.formutil import prefill

bp = Blueprint("speakers", __name__)


@bp.get("/speakers")
def index():
    if pagecache.anonymous():
        return pagecache.page(("speakers",), _speakers_page)
    return _speakers_page()


def _speakers_page() -> str:
    # The cards are the same for everyone: signed-in pages reuse those visitors' pages kept.
    version = pagecache.public_version()
    cards = pagecache.remember(pagecache.shared(), ("speaker-cards", version), _speaker_cards)
    return render_template("events/speakers.html", cards_html=Markup(cards))  # noqa: S704


def _speaker_cards() -> str:
    speakers, sessions_of = public_speakers()
    return render_template("events/_speaker_cards.html", speakers=speakers, sessions_of=sessions_of)


@bp.get("/speakers/<slug>")
def detail(slug: str):
    if pagecache.anonymous():
        return pagecache.page(("speaker", slug), lambda: _speaker_page(slug, None))
    return _speaker_page(slug, pagecache.signed_in())


def _speaker_page(slug: str, user) -> str:
    speaker = db.session.execute(select(Speaker).where(Speaker.slug == slug)).scalar_one_or_none()
    if speaker is None:
        abort(404, "There is no speaker at this address.")
    sessions = sessions_of_speaker(speaker)
    viewer_may_preview = user is not None and (user.is_organiser or user.id == speaker.user_id)
    if not sessions and not viewer_may_preview:
        abort(404, "There is no speaker at this address.")
    room_ids = {s.session.room_id for s in sessions if s.session.room_id}
    rooms = (
        {r.id: r for r in db.session.execute(select(Room).where(Room.id.in_(room_ids))).scalars()}
        if room_ids
        else {}
    )
    return render_template(
        "events/speaker.html", speaker=speaker, sessions=sessions, rooms=rooms, kinds=KIND_LABELS
    )


@bp.get("/speakers/<slug>/photo.jpg")
def photo(slug: str):
    speaker = db.session.execute(
        select(Speaker).where(Speaker.slug == slug).options(undefer(Speaker.photo))
    ).scalar_one_or_none()
    if speaker is None or not speaker.photo:
        abort(404, "This speaker has no photo.")
    etag = speaker.photo_etag or ""
    response = current_app.response_class(speaker.photo, mimetype="image/jpeg")
    response.set_etag(etag)
    # A URL carrying the current version never changes; the bare URL is checked hourly.
    if request.args.get("v") == etag:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


@bp.route("/me/speaker-profile", methods=["GET", "POST"])
@login_required
def own_profile():
    speaker = speaker_for_user(current_user)
    if speaker is None:
        abort(404, "Your account is not linked to a speaker profile. Ask the organisers.")
    form = SpeakerForm()
    if request.method == "GET":
        prefill(form, speaker, links=links_text(speaker.links))
    if form.validate_on_submit():
        upload = form.photo.data
        try:
            data = SpeakerData(
                name=form.name.data,
                job_title=form.job_title.data or "",
                organisation=form.organisation.data or "",
                bio=form.bio.data or "",
                links=parse_links(form.links.data or ""),
            )
            update_own_profile(
                current_user,
                speaker,
                data,
                photo=upload.read() if upload and upload.filename else None,
                remove_photo=form.remove_photo.data,
            )
        except SpeakerError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return render_template(
                "events/speaker_profile_form.html", form=form, speaker=speaker
            ), 400
        db.session.commit()
        flash("Your speaker profile is saved.", "success")
        return redirect(url_for("speakers.own_profile"))
    status = 400 if form.errors else 200
    return render_template("events/speaker_profile_form.html", form=form, speaker=speaker), status
