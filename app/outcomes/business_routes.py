"""A business's own outcomes page: its support hours and the check-ins behind them, its
eligibility declarations, and the outcomes it claims (with evidence files)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.auth.membership import can_manage
from app.auth.roles import verified_required
from app.extensions import db
from app.outcomes import services
from app.outcomes.evidence import attach_evidence
from app.outcomes.forms import DeclarationForm, EvidenceForm
from app.outcomes.models import ClaimEvidence, ClaimKind
from app.outcomes.services import ClaimData, OutcomesError, OutcomesForbidden
from app.outcomes.views import claim_form, declaration_values, render_business

bp = Blueprint("business", __name__, url_prefix="/business")


def _own_business():
    """The signed-in member's business. Membership today is the account's link to its
    organisation (granted at sign-up or by an organiser); door staff and organisers without
    a business have no page here."""
    organisation = services.business_of(current_user)
    if organisation is None:
        abort(403, "This page is for a business's own members: your account is not linked "
                   "to a business. Ask an organiser to link it.")  # fmt: skip
    programme = services.current_programme()
    if programme is None:
        return organisation, None
    return organisation, programme


def _page(programme, organisation, **kw):
    """The business's page as its member sees it (the declaration form for its admins)."""
    can_sign = can_manage(current_user, organisation)
    return render_business(programme, organisation, organiser_view=False, can_sign=can_sign, **kw)


@bp.get("/outcomes")
@login_required
def outcomes():
    organisation, programme = _own_business()
    if programme is None:
        return render_template("outcomes/no_programme.html", organisation=organisation)
    return _page(programme, organisation)


def _claim_data(form) -> ClaimData:
    kind = form.kind.data
    quantity = Decimal(1)
    if kind == ClaimKind.JOBS:
        quantity = form.fte.data if form.fte.data is not None else Decimal(0)
    elif kind == ClaimKind.CUSTOM:
        quantity = Decimal(form.count.data or 0)
    detail = {ClaimKind.PRODUCT: form.novelty.data, ClaimKind.COLLABORATION: form.partner_kind.data}
    indicator = form.indicator_id.data
    return ClaimData(
        kind=kind,
        description=form.description.data or "",
        occurred_on=form.occurred_on.data,
        title=form.title.data or "",
        detail=detail.get(kind, "") or "",
        quantity=quantity,
        indicator_id=int(indicator) if indicator and indicator.isdigit() else None,
    )


@bp.post("/outcomes/claims")
@verified_required
def record_claim():
    organisation, programme = _own_business()
    if programme is None:
        abort(404, "No programme has been set up yet.")
    form = claim_form(programme)
    if not form.validate_on_submit():
        return _page(programme, organisation, form=form,
                               status=400)  # fmt: skip
    try:
        claim = services.record_claim(current_user, programme, organisation, _claim_data(form))
        upload = form.evidence.data
        if upload and upload.filename:
            attach_evidence(current_user, claim, upload.filename, upload.read())
    except OutcomesError as exc:
        db.session.rollback()
        if isinstance(exc, OutcomesForbidden):
            abort(403, str(exc))
        form.description.errors = [*form.description.errors, str(exc)]
        return _page(programme, organisation, form=form,
                               status=400)  # fmt: skip
    db.session.commit()
    flash("Outcome recorded: the programme team will verify it.", "success")
    return redirect(url_for("business.outcomes") + "#claims")


@bp.post("/outcomes/declaration")
@verified_required
def declare():
    organisation, programme = _own_business()
    if programme is None:
        abort(404, "No programme has been set up yet.")
    form = DeclarationForm()
    if not form.validate_on_submit():
        return _page(programme, organisation,
                               declaration_form=form, status=400)  # fmt: skip
    try:
        services.sign_declaration(current_user, programme, organisation, **declaration_values(form))
    except OutcomesError as exc:
        db.session.rollback()
        if isinstance(exc, OutcomesForbidden):
            abort(403, str(exc))
        form.signed_name.errors = [str(exc)]
        return _page(programme, organisation,
                               declaration_form=form, status=400)  # fmt: skip
    db.session.commit()
    flash("Declaration signed. Thank you.", "success")
    return redirect(url_for("business.outcomes") + "#declaration")


@bp.post("/outcomes/claims/<int:claim_id>/evidence")
@verified_required
def add_evidence(claim_id: int):
    """Another file for a claim still awaiting review."""
    organisation, _ = _own_business()
    try:
        claim = services.claim_for(current_user, claim_id)
    except LookupError:
        abort(404)
    if claim.organisation_id != organisation.id:
        abort(404)
    form = EvidenceForm()
    upload = form.evidence.data
    if not form.validate_on_submit() or not upload or not upload.filename:
        abort(400, "Choose a PDF or an image to add.")
    try:
        attach_evidence(current_user, claim, upload.filename, upload.read())
    except OutcomesError as exc:
        abort(403 if isinstance(exc, OutcomesForbidden) else 400, str(exc))
    db.session.commit()
    flash("Evidence added.", "success")
    return redirect(url_for("business.outcomes") + "#claims")


@bp.get("/outcomes/evidence/<public_id>")
@login_required
def evidence_file(public_id: str):
    """A claim's evidence file, for the business's members and organisers."""
    evidence = db.session.execute(
        db.select(ClaimEvidence).where(ClaimEvidence.public_id == public_id)
    ).scalar_one_or_none()
    if evidence is None:
        abort(404)
    try:
        services.claim_for(current_user, evidence.claim_id)
    except LookupError:
        abort(404)
    return Response(
        evidence.content,
        mimetype=evidence.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{evidence.filename}"',
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
