"""The visit's safety brief and confidentiality terms: edited in /host by the visit's hosts
and the organisers, read by applicants on the registration form and their ticket."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.events.models import Event, EventKind
from app.events.services import public_event_or_none
from app.extensions import db
from app.hosts import brief as briefs
from app.hosts.models import PHOTOGRAPHY_RULES, PPE_ITEMS
from app.hosts.routes import _act, _visit, bp
from app.hosts.services import HostError, can_host
from app.registration.forms import ActionForm
from app.registration.models import ENDED, Registration

public_bp = Blueprint("visit_terms", __name__)


@bp.get("/host/<slug>/brief")
def brief(slug: str):
    event = _visit(slug)
    return render_template(
        "hosts/brief.html",
        event=event,
        brief=briefs.brief_for(event.id),
        terms=briefs.current_terms(event.id),
        map_url=briefs.map_url(event),
        ppe_items=PPE_ITEMS,
        photography_rules=PHOTOGRAPHY_RULES,
        form=ActionForm(),
    )


@bp.post("/host/<slug>/brief")
def save_brief(slug: str):
    form = request.form

    def action(event):
        briefs.save_brief(
            current_user,
            event,
            ppe=form.getlist("ppe"),
            ppe_notes=form.get("ppe_notes", ""),
            photography=form.get("photography", "ask"),
            meeting_point=form.get("meeting_point", ""),
            parking=form.get("parking", ""),
            ask_for=form.get("ask_for", ""),
            asks_vehicle=form.get("asks_vehicle") == "y",
        )
        return "Safety brief saved. Applicants accept it on the registration form."

    return _act(slug, action, to="hosts.brief")


@bp.post("/host/<slug>/terms")
def save_terms(slug: str):
    upload = request.files.get("pdf")
    raw = upload.read(briefs.MAX_PDF_BYTES + 1) if upload and upload.filename else None

    def action(event):
        if request.form.get("withdraw") == "y":
            terms = briefs.withdraw_terms(current_user, event)
            return "Confidentiality terms withdrawn." if terms else "There were no terms."
        try:
            terms = briefs.save_terms(
                current_user,
                event,
                request.form.get("text", ""),
                raw,
                upload.filename if raw is not None else "",
            )
        except IntegrityError:
            raise HostError(
                "Someone else has just changed the terms: reload and try again."
            ) from None
        if terms is None:
            return "The terms are unchanged."
        return f"Confidentiality terms saved as version {terms.version}."

    return _act(slug, action, to="hosts.brief")


def _terms_or_404(slug: str, version: int):
    event = public_event_or_none(slug)
    if event is None and current_user.is_authenticated:
        event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
        if event is not None and not can_host(current_user, event):
            event = None
    if event is None or event.kind != EventKind.SITE_VISIT:
        abort(404, "There are no such terms.")
    terms = briefs.terms_version(event.id, version)
    if terms is None or terms.is_empty:
        abort(404, "There are no such terms.")
    return event, terms


@public_bp.get("/events/<slug>/visit-terms/<int:version>")
def terms_page(slug: str, version: int):
    event, terms = _terms_or_404(slug, version)
    return render_template("hosts/terms.html", event=event, terms=terms)


@public_bp.get("/events/<slug>/visit-terms/<int:version>.pdf")
def terms_pdf(slug: str, version: int):
    event, terms = _terms_or_404(slug, version)
    if not terms.pdf_name:
        abort(404, "These terms have no PDF.")
    response = Response(terms.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{terms.pdf_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@public_bp.route("/me/registrations/<int:registration_id>/visit-brief", methods=["GET", "POST"])
@login_required
def accept_brief(registration_id: int):
    """The delegate accepts the brief and current terms when the registration form did not ask
    them (a colleague or an organiser registered them, or the terms changed since)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404, "You have no such registration.")
    event = registration.event
    if registration.status in ENDED or briefs.brief_for(event.id) is None:
        abort(404, "This place has no safety brief to accept.")
    error = None
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400, "The form had expired: please try again.")
        try:
            consent = briefs.check_consent(event, request.form)
        except HostError as exc:
            error = str(exc)
        else:
            briefs.record_consent(registration, consent)
            db.session.commit()
            flash("Thank you: the host has your acceptance of its safety brief.", "success")
            return redirect(
                url_for("registration.my_tickets", _anchor=f"registration-{registration.id}")
            )
    return render_template(
        "hosts/accept.html",
        event=event,
        registration=registration,
        form=ActionForm(),
        **briefs.form_context(event, request.form, error),
    ), (422 if error else 200)
