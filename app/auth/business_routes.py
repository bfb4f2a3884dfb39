"""A business's members page: its admins approve or decline requests to join, remove members,
share or pass on the admin role, verify the business's email domain and choose whether site-visit
hosts see its benchmark band."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth import membership
from app.auth.models import MembershipRequest, User
from app.auth.roles import verified_required
from app.auth.services import AccountError
from app.extensions import db

bp = Blueprint("membership", __name__, url_prefix="/business")


def _own_business():
    org = current_user.organisation
    if org is None:
        abort(404, "You are not a member of a business yet.")
    if not membership.can_manage(current_user, org):
        abort(403, f"Only the admins of {org.name} manage its members.")
    return org


def _back(org, message: str | None = None, status: int = 303):
    """After a change: the organiser's view of the business, or the admins' page."""
    target = request.form.get("back")
    if target == "organiser" and current_user.is_organiser:
        return redirect(url_for("organiser.business", organisation_id=org.id), code=status)
    return redirect(url_for("membership.members"), code=status)


@bp.get("/members")
@login_required
@verified_required
def members():
    org = _own_business()
    return render_template(
        "auth/members.html",
        organisation=org,
        members=membership.members_of(org),
        requests=membership.pending_requests(org, disputed=current_user.is_organiser),
        own_domain=current_user.email.rpartition("@")[2],
    )


def _request(request_id: int) -> MembershipRequest:
    req = db.session.get(MembershipRequest, request_id)
    if req is None or not membership.can_manage(current_user, req.organisation):
        abort(404, "No such request.")
    if not current_user.is_organiser and membership.number_dispute(req):
        abort(404, "No such request.")  # an organiser decides it; its admins are not shown it
    return req


def _member(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if (
        user is None
        or user.organisation is None
        or not membership.can_manage(current_user, user.organisation)
    ):
        abort(404, "No such member.")
    return user


def _apply(org, action, success: str):
    try:
        action()
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _back(org)
    db.session.commit()
    flash(success, "success")
    return _back(org)


@bp.post("/requests/<int:request_id>/approve")
@login_required
@verified_required
def approve(request_id: int):
    req = _request(request_id)
    return _apply(
        req.organisation,
        lambda: membership.approve_request(current_user, req),
        f"{req.user.name} is now a member of {req.organisation.name}.",
    )


@bp.post("/requests/<int:request_id>/decline")
@login_required
@verified_required
def decline(request_id: int):
    req = _request(request_id)
    return _apply(
        req.organisation,
        lambda: membership.decline_request(current_user, req),
        f"{req.user.name}'s request is declined.",
    )


@bp.post("/requests/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int):
    req = db.session.get(MembershipRequest, request_id)
    if req is None or req.user_id != current_user.id:
        abort(404, "No such request.")
    try:
        membership.withdraw_request(current_user, req)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("Your request is withdrawn: you can name your business again.", "info")
    return redirect(url_for("benchmark.index"), code=303)


@bp.post("/members/<int:user_id>/remove")
@login_required
@verified_required
def remove(user_id: int):
    member = _member(user_id)
    org = member.organisation
    return _apply(
        org,
        lambda: membership.remove_member(current_user, member),
        f"{member.name} is no longer a member of {org.name}.",
    )


@bp.post("/members/<int:user_id>/admin")
@login_required
@verified_required
def set_admin(user_id: int):
    member = _member(user_id)
    admin = request.form.get("admin") == "1"
    return _apply(
        member.organisation,
        lambda: membership.set_business_admin(current_user, member, admin),
        f"{member.name} {'is now' if admin else 'is no longer'} an admin.",
    )


@bp.post("/domain")
@login_required
@verified_required
def set_domain():
    org = _own_business()
    domain = request.form.get("domain", "")[:253]
    return _apply(
        org,
        lambda: membership.set_verified_domain(current_user, org, domain),
        "The verified domain is saved." if domain.strip() else "The verified domain is removed.",
    )


@bp.post("/band-sharing")
@login_required
@verified_required
def set_band_sharing():
    org = _own_business()
    share = request.form.get("share") == "y"
    return _apply(
        org,
        lambda: membership.set_band_sharing(current_user, org, share),
        "Hosts of the visits you apply to will see your benchmark band."
        if share
        else "Hosts will no longer see your benchmark band.",
    )
