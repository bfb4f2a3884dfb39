import hmac

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import LoginForm, ResetPasswordForm, ResetRequestForm, SignUpForm
from app.auth.models import User
from app.auth.services import (
    AccountError,
    authenticate,
    create_user,
    find_or_create_organisation,
    find_user_by_email,
    send_password_reset,
    user_for_reset_token,
)
from app.extensions import db, limiter, login_manager
from app.urls import local_path

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    user_id, _, fingerprint = login_id.partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active:
        return None
    # A session from before the last password change (or account deletion) no longer counts.
    return user if hmac.compare_digest(fingerprint, user.password_fingerprint) else None


def _safe_next(default: str) -> str:
    # Only local paths: never redirect to another site.
    return local_path(request.args.get("next") or request.form.get("next")) or default


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("events.home"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            org = None
            if form.organisation.data:
                org = find_or_create_organisation(
                    form.organisation.data, form.companies_house_number.data
                )
            user = create_user(
                form.email.data, form.name.data, form.password.data, organisation=org
            )
        except AccountError as exc:
            db.session.rollback()
            field = form.email if "email" in str(exc) else form.companies_house_number
            field.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(_safe_next(url_for("events.home")))
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("events.home")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash("Email or password is not right.", "danger")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(url_for("events.home")))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("events.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.is_active:
            send_password_reset(user)
        # Same answer either way, so the form cannot be used to discover accounts.
        flash("If that address has an account, we have emailed a link to reset it.", "info")
        return redirect(url_for("auth.login"))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = user_for_reset_token(token)
    except AccountError as exc:
        flash(str(exc), "danger")
        return render_template("auth/reset_invalid.html", message=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash("Your password has been changed. Please sign in.", "success")
        return redirect(url_for("auth.login"))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/reset_password.html", form=form), status
