"""The host area: a host's visits, its applicants, approve and decline."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import check_roles
from app.events.models import Event
from app.extensions import db, login_manager
from app.hosts import after, services
from app.hosts.brief import acceptance_history, brief_for, briefs_for, needing_acceptance
from app.hosts.services import HostError
from app.registration.forms import ActionForm
from app.registration.models import Registration
from app.registration.services import status_label
from app.timeutil import utcnow

bp = Blueprint("hosts", __name__)


@bp.before_request
def _hosts_only() -> None:
    """Hosts and organisers only; deny by default."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not (current_user.is_organiser or services.is_host(current_user)):
        check_roles("organiser")  # 403 with the usual page


def _visit(slug: str) -> Event:
    event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None:
        abort(404)
    if not services.can_host(current_user, event):
        abort(403)
    return event


@bp.get("/host")
def index():
    visits = services.visits_for(current_user)
    return render_template(
        "hosts/index.html",
        visits=visits,
        now=utcnow(),
        waiting=services.awaiting_counts([v.id for v in visits]),
        briefs=briefs_for([v.id for v in visits]),
    )


@bp.get("/host/<slug>")
def visit(slug: str):
    return _visit_page(_visit(slug))


def _visit_page(event: Event, rules_error: str | None = None, status: int = 200):
    """The visit's page; with `rules_error`, the visitor rules as typed and why they were
    refused."""
    members = []
    if current_user.is_organiser and event.host_organisation_id:
        members = list(
            db.session.execute(
                select(User)
                .where(User.organisation_id == event.host_organisation_id)
                .order_by(User.name)
            ).scalars()
        )
    started = event.starts_at <= utcnow()
    applicants = services.applicants(event)
    return render_template(
        "hosts/visit.html",
        feedback=after.host_feedback(event) if started else None,
        outcome_businesses=after.outcome_businesses(event) if started else None,
        min_answers=after.MIN_ANSWERS,
        event=event,
        applicants=applicants,
        not_accepted=needing_acceptance([a.registration for a in applicants]),
        accepted=acceptance_history(a.registration.id for a in applicants),
        settings=services.settings_for(event.id),
        brief=brief_for(event.id),
        now=utcnow(),
        decision_deadline=event.starts_at
        - timedelta(hours=current_app.config["HOST_DECISION_DEADLINE_HOURS"]),
        members=members,
        hosts={m.id for m in members if services.is_host(m)},
        status_label=status_label,
        form=ActionForm(),
        rules_error=rules_error,
        typed=request.form if rules_error else None,
    ), status


def _registration(event: Event, registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    return registration


def _act(slug: str, action, to: str = "hosts.visit") -> str:
    event = _visit(slug)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired: please try again.")
    try:
        message = action(event)
    except HostError as error:
        db.session.rollback()
        abort(409, str(error))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(to, slug=slug))


@bp.post("/host/<slug>/registrations/<int:registration_id>/approve")
def approve(slug: str, registration_id: int):
    def action(event):
        r = services.approve_visitor(current_user, _registration(event, registration_id))
        return f"{r.user.name} is approved ({status_label(r.status)})."

    return _act(slug, action)


@bp.post("/host/<slug>/registrations/<int:registration_id>/decline")
def decline(slug: str, registration_id: int):
    reason = request.form.get("reason", "")
    if len(reason) > 2000:
        abort(400, "Keep the reason under 2,000 characters.")

    def action(event):
        r = services.decline_visitor(current_user, _registration(event, registration_id), reason)
        return f"{r.user.name} is declined; the place goes to the waiting list."

    return _act(slug, action)


@bp.post("/host/<slug>/settings")
def settings(slug: str):
    event = _visit(slug)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired: please try again.")
    form = request.form
    try:
        services.update_settings(
            current_user,
            event,
            requires_approval=form.get("requires_approval") == "y",
            excluded_businesses=form.get("excluded_businesses", "")[:5000],
            excluded_sectors=form.get("excluded_sectors", "")[:1000],
        )
    except HostError as error:  # a mistyped rule: the page again, with what was typed
        db.session.rollback()
        return _visit_page(event, rules_error=str(error), status=422)
    db.session.commit()
    flash("Visit settings saved.", "success")
    return redirect(url_for("hosts.visit", slug=slug))


@bp.post("/host/<slug>/hosts/<int:user_id>")
def mark_host(slug: str, user_id: int):
    if not current_user.is_organiser:
        abort(403)

    def action(event):
        member = db.get_or_404(User, user_id)
        if member.organisation_id != event.host_organisation_id:
            raise HostError(f"{member.name} is not a member of the host business.")
        hosting = request.form.get("hosting") == "y"
        services.mark_host(current_user, member, hosting)
        return f"{member.name} {'hosts' if hosting else 'no longer hosts'} its visits."

    return _act(slug, action)


# The brief and the gatehouse are routes of this blueprint too (same guard), kept apart by concern.
from app.hosts import brief_routes, gatehouse_routes  # noqa: E402, F401
