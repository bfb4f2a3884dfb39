from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import LoginForm, ResetPasswordForm, ResetRequestForm, SignUpForm
from app.auth.models import Role, User
from app.auth.services import (
    AccountError,
    authenticate,
    find_user_by_email,
    send_password_reset,
    user_for_reset_token,
)
from app.auth.sessions import (
    ACTOR_VIEWS,
    SESSION_DAYS,
    actor_for_login_id,
    end_all_login_sessions,
    end_login_session,
    start_login_session,
    user_for_login_id,
)
from app.auth.verification import (
    mark_verified,
    send_verification,
    sign_up,
    user_for_verification_token,
)
from app.extensions import db, limiter, login_manager
from app.urls import local_path

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(login_id: str):
    first_row = ACTOR_VIEWS.get(request.endpoint)
    if first_row is not None:  # a hot view that needs no ORM User
        return actor_for_login_id(login_id, first_row)
    return user_for_login_id(login_id)


def sign_in(user: User, remember: bool = False) -> None:
    """Start a server-side sign-in for this browser (see app.auth.sessions), commit, and set
    Flask-Login's cookies."""
    start_login_session(user)
    db.session.commit()
    login_user(user, remember=remember, duration=timedelta(days=SESSION_DAYS))


def _landing(user: User) -> str:
    """Where signing in leads without a `next`: door staff straight to their scanners (the
    list, or the one event's scanner: /checkin decides), everyone else the events page."""
    if user.role == Role.DOOR_STAFF:
        return url_for("checkin.choose_event")
    return url_for("events.home")


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
        # The same page whether or not the address has an account: the form must not tell
        # who has one. The owner of a known address is emailed instead.
        sign_up(form.email.data, form.name.data, form.password.data)
        db.session.commit()
        return render_template(
            "auth/signup_sent.html",
            email=User.normalise_email(form.email.data),
            next=_safe_next(""),
        )
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(_landing(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash("Email or password is not right.", "danger")
            return render_template("auth/login.html", form=form), 401
        sign_in(user, remember=form.remember.data)
        return redirect(_safe_next(_landing(user)))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    end_login_session(current_user._get_current_object())
    db.session.commit()
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
            db.session.commit()  # the email is an outbox row
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
        # The link came to the address, which proves it; every old sign-in ends.
        mark_verified(user)
        end_all_login_sessions(user)
        db.session.commit()
        flash("Your password has been changed. Please sign in.", "success")
        return redirect(url_for("auth.login"))
    status = 200 if request.method == "GET" else 422
    return render_template("auth/reset_password.html", form=form), status


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """The link in the confirmation email. Opening it shows a button; the POST confirms, so
    a mail scanner that follows links confirms nothing."""
    try:
        user = user_for_verification_token(token)
    except AccountError as exc:
        return render_template("auth/link_invalid.html", message=str(exc)), 400
    if request.method == "GET":
        return render_template("auth/verify_email.html", user=user)
    mark_verified(user)
    db.session.commit()
    flash("Thank you: your email address is confirmed.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("events.home"), code=303)
    return redirect(url_for("auth.login"), code=303)


@bp.post("/verify")
@login_required
@limiter.limit("3 per hour", key_func=lambda: f"verify-{current_user.id}")
def resend_verification():
    user = current_user._get_current_object()
    if user.email_verified:
        flash("Your email address is already confirmed.", "info")
    else:
        send_verification(user)
        db.session.commit()  # the email is an outbox row
        flash(f"We have sent the link again to {user.email}.", "info")
    return redirect(_safe_next(url_for("events.home")), code=303)
