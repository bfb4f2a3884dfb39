"""Organiser views of the programme's businesses: who is a member, who asks to join, which
businesses the programme has seen, and the repairs (a number, a merge) only organisers make."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import businesses, membership
from app.auth.models import Organisation
from app.auth.services import AccountError
from app.extensions import db
from app.organiser import bp


def _business(organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        abort(404, "No such business.")
    return org


@bp.get("/businesses")
def businesses_list():
    requests = membership.pending_requests()
    return render_template(
        "organiser/businesses.html",
        rows=businesses.business_list(),
        requests=requests,
        disputes=membership.disputes(requests),
    )


@bp.get("/businesses/<int:organisation_id>")
def business(organisation_id: int):
    org = _business(organisation_id)
    requests = membership.pending_requests(org)
    return render_template(
        "organiser/business.html",
        organisation=org,
        members=membership.members_of(org),
        requests=requests,
        disputes=membership.disputes(requests),
        others=[r.organisation for r in businesses.business_list() if r.organisation.id != org.id],
    )


def _apply(org_id: int, action, success: str, to_list: bool = False):
    try:
        action()
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("organiser.business", organisation_id=org_id), code=303)
    db.session.commit()
    flash(success, "success")
    if to_list:
        return redirect(url_for("organiser.businesses_list"), code=303)
    return redirect(url_for("organiser.business", organisation_id=org_id), code=303)


@bp.post("/businesses/<int:organisation_id>/seen")
def business_seen(organisation_id: int):
    org = _business(organisation_id)
    seen = request.form.get("seen") == "1"
    return _apply(
        org.id,
        lambda: businesses.set_seen(current_user, org, seen),
        f"{org.name} {'counts' if seen else 'no longer counts'} in peer figures.",
        to_list=request.form.get("back") == "list",
    )


@bp.post("/businesses/<int:organisation_id>/number")
def business_number(organisation_id: int):
    org = _business(organisation_id)
    number = request.form.get("number", "")[:20]
    return _apply(
        org.id,
        lambda: businesses.set_company_number(current_user, org, number),
        f"{org.name}'s Companies House number is saved.",
    )


@bp.post("/businesses/<int:organisation_id>/domain")
def business_domain(organisation_id: int):
    org = _business(organisation_id)
    domain = request.form.get("domain", "")[:253]
    return _apply(
        org.id,
        lambda: membership.set_verified_domain(current_user, org, domain),
        f"{org.name}'s verified domain is saved.",
    )


@bp.post("/businesses/<int:organisation_id>/merge")
def business_merge(organisation_id: int):
    org = _business(organisation_id)
    into = request.form.get("into", type=int)
    target = db.session.get(Organisation, into) if into else None
    if target is None:
        flash("Choose the business to merge into.", "danger")
        return redirect(url_for("organiser.business", organisation_id=org.id), code=303)
    name, target_id = org.name, target.id
    try:
        businesses.merge_businesses(current_user, org, target)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("organiser.business", organisation_id=org.id), code=303)
    db.session.commit()
    flash(f"{name} is merged into {target.name}.", "success")
    return redirect(url_for("organiser.business", organisation_id=target_id), code=303)
