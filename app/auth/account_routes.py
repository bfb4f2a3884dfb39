"""A person's own account settings: details, password, a copy of their data, deletion."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import privacy
from app.auth.email_change import (
    check_email_change,
    confirm_email_change,
    request_email_change,
    send_email_changed_notice,
)
from app.auth.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, DetailsForm
from app.auth.models import Role
from app.auth.services import AccountError
from app.auth.sessions import end_all_login_sessions
from app.extensions import db, limiter

bp = Blueprint("account", __name__, url_prefix="/me")


def _settings_page(details=None, password=None, email=None, status=200):
    user = current_user._get_current_object()
    return render_template(
        "auth/settings.html",
        details=details or DetailsForm(obj=user),
        password=password or ChangePasswordForm(),
        email=email or ChangeEmailForm(),
    ), status


@bp.get("/settings")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/details")
@login_required
def save_details():
    form = DetailsForm()
    if not form.validate_on_submit():
        return _settings_page(details=form, status=422)
    current_user.name = form.name.data
    current_user.job_title = form.job_title.data or None
    db.session.commit()
    flash("Your details are saved.", "success")
    return redirect(url_for("account.settings"), code=303)


@bp.post("/settings/password")
@login_required
@limiter.limit("10 per minute")
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _settings_page(password=form, status=422)
    user = current_user._get_current_object()
    if not user.check_password(form.current.data):
        form.current.errors.append("That is not your current password.")
        return _settings_page(password=form, status=422)
    user.set_password(form.password.data)
    end_all_login_sessions(user, keep_current=True)
    db.session.commit()
    # Every other browser is signed out; this one carries on with the new fingerprint.
    login_user(user)
    flash("Your password is changed. Any other browser you used is signed out.", "success")
    return redirect(url_for("account.settings"), code=303)


@bp.post("/settings/email")
@login_required
@limiter.limit("5 per minute")
def change_email():
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return _settings_page(email=form, status=422)
    try:
        new = request_email_change(
            current_user._get_current_object(), form.email.data, form.password.data
        )
    except AccountError as exc:
        form.email.errors.append(str(exc))
        return _settings_page(email=form, status=422)
    db.session.commit()  # the email is an outbox row
    flash(f"We have emailed a link to {new}. Your address changes when you open it.", "info")
    return redirect(url_for("account.settings"), code=303)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Opened from the new address's inbox; works signed in or not. The link shows a button:
    the change is a POST, so a mail scanner that follows links changes nothing."""
    if request.method == "GET":
        try:
            user, new = check_email_change(token)
        except AccountError as exc:
            return render_template("auth/link_invalid.html", message=str(exc)), 400
        return render_template("auth/confirm_email_change.html", user=user, new=new)
    try:
        user, old = confirm_email_change(token)
    except AccountError as exc:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=str(exc)), 400
    # Every browser but the one that confirmed (if it is the account's own) is signed out.
    here = current_user.is_authenticated and current_user.id == user.id
    end_all_login_sessions(user, keep_current=here)
    send_email_changed_notice(user, old)
    db.session.commit()  # the change and the notice to the old address, together
    if here:
        flash(f"You now sign in as {user.email}.", "success")
        return redirect(url_for("account.settings"))
    flash(f"Your email address is changed: sign in as {user.email}.", "success")
    return redirect(url_for("auth.login"))


@bp.post("/settings/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    count = end_all_login_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(f"You are signed out everywhere ({count} browser{'s' if count != 1 else ''}).", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/data.json")
@login_required
def download_data():
    body = json.dumps(privacy.personal_data(current_user._get_current_object()), indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="journey-my-data.json"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def delete_account():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    error = None
    if form.validate_on_submit():
        try:
            privacy.erase_account(user, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            end_all_login_sessions(user)
            db.session.commit()
            logout_user()
            flash("Your account is deleted. Thank you for taking part.", "success")
            return redirect(url_for("events.home"), code=303)
    status = 200 if request.method == "GET" else 422
    return render_template(
        "auth/delete_account.html",
        form=form,
        error=error,
        blocking=privacy.places_blocking_erasure(user),
        staff=user.role != Role.DELEGATE,
    ), status
