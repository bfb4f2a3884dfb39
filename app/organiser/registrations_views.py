"""Organiser views: an event's registrations, their actions and the CSV export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.auth.models import Organisation, User
from app.auth.services import AccountError
from app.converters import id_arg
from app.csvexport import csv_response
from app.events.models import Event, TicketType
from app.extensions import db
from app.formutil import options
from app.organiser import bp
from app.organiser.forms import AddDelegateForm
from app.outbox import services as outbox_services
from app.questions import services as questions
from app.questions.routes import form_context as question_context
from app.registration import emails, services
from app.registration.colleagues import register_on_behalf
from app.registration.forms import ActionForm
from app.registration.models import (
    EmailLog,
    Registration,
    RegistrationLog,
    RegistrationStatus,
)
from app.templating import format_local, format_pence
from app.urls import local_path

S = RegistrationStatus
STATES = [S.CONFIRMED, S.PENDING_BENCHMARK, S.PENDING_PAYMENT, S.AWAITING_HOST, S.WAITLISTED]
STATES += [S.CANCELLED, S.REFUNDED]
BENCHMARK_FILTERS = {"valid": "Benchmark valid", "missing": "Benchmark missing"}
MAX_ROWS = 2000


def _event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


def _filtered(event: Event, args) -> tuple[list[Registration], dict]:
    """The event's registrations matching the filters in `args`, with what the table shows."""
    status = args.get("status", "")
    ticket_type_id = args.get("ticket_type", type=id_arg)
    benchmark = args.get("benchmark", "")
    q = (args.get("q") or "").strip()
    query = (
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Registration.event_id == event.id)
        .options(
            contains_eager(Registration.user).contains_eager(User.organisation),
            selectinload(Registration.ticket_type),
        )
        .order_by(Registration.created_at, Registration.id)
    )
    if status in set(S):
        query = query.where(Registration.status == status)
    if ticket_type_id:
        query = query.where(Registration.ticket_type_id == ticket_type_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(User.name).like(like),
                func.lower(User.email).like(like),
                func.lower(Organisation.name).like(like),
            )
        )
    rows = list(db.session.execute(query.limit(MAX_ROWS)).unique().scalars())
    valid_orgs = services.organisations_with_valid_benchmark({r.user.organisation_id for r in rows})
    if benchmark == "valid":
        rows = [r for r in rows if r.user.organisation_id in valid_orgs]
    elif benchmark == "missing":
        rows = [r for r in rows if r.user.organisation_id not in valid_orgs]
    filters = {"status": status, "ticket_type": ticket_type_id, "benchmark": benchmark, "q": q}
    return rows, {"valid_orgs": valid_orgs, "filters": filters}


@bp.get("/events/<int:event_id>/registrations")
def registrations(event_id: int):
    event = _event_or_404(event_id)
    rows, extra = _filtered(event, request.args)
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    ticket_types = db.session.execute(
        select(TicketType).where(TicketType.event_id == event.id).order_by(TicketType.position)
    ).scalars()
    return render_template(
        "organiser/registrations.html",
        event=event,
        rows=rows,
        counts=counts,
        states=STATES,
        labels=services.STATUS_LABELS,
        ticket_types=list(ticket_types),
        benchmark_filters=BENCHMARK_FILTERS,
        positions=services.waitlist_positions([event.id]),
        form=ActionForm(),
        truncated=len(rows) >= MAX_ROWS,
        **extra,
    )


@bp.get("/events/<int:event_id>/registrations.csv")
def registrations_csv(event_id: int):
    event = _event_or_404(event_id)
    rows, extra = _filtered(event, request.args)
    positions = services.waitlist_positions([event.id])
    asked = questions.questions_for(event.id)
    answers = questions.answers_by_registration(r.id for r in rows)
    table = [
        [
            "registration_id", "name", "email", "job_title", "organisation",
            "companies_house_number", "ticket_type", "status", "waitlist_position",
            "benchmark_valid", "amount_due", "amount_paid", "paid_at", "registered_at",
            "confirmed_at", "cancelled_at", "hold_expires_at",
        ] + [q.label for q in asked]
    ]  # fmt: skip
    for r in rows:
        org = r.user.organisation
        mine = answers.get(r.id, {})
        table.append(
            [
                r.id, r.user.name, r.user.email, r.user.job_title or "",
                org.name if org else "", org.companies_house_number if org else "",
                r.ticket_type.name, r.status, positions.get(r.id, ""),
                "yes" if r.user.organisation_id in extra["valid_orgs"] else "no",
                f"{r.amount_due_pence / 100:.2f}", f"{r.amount_paid_pence / 100:.2f}",
                _iso(r.paid_at), _iso(r.created_at), _iso(r.confirmed_at),
                _iso(r.cancelled_at), _iso(r.hold_expires_at),
            ] + [questions.display(mine.get(q.id)) for q in asked]
        )  # fmt: skip
    return csv_response(table, f"{event.slug}-registrations.csv")


def _iso(value) -> str:
    return format_local(value, "%Y-%m-%d %H:%M") if value else ""


@bp.route("/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
def add_delegate(event_id: int):
    """Register someone on their behalf: an existing account, or a new one for that email."""
    event = _event_or_404(event_id)
    form = AddDelegateForm()
    form.ticket_type.choices = options(
        (t.id, f"{t.name} · {format_pence(t.price_pence)}" + (" (hidden)" if t.hidden else ""))
        for t in event.ticket_types
    )
    status = 200
    answer_errors: dict[int, str] = {}
    if form.validate_on_submit():
        ticket_type = next(t for t in event.ticket_types if t.id == form.ticket_type.data)
        answers = questions.parse_answers(
            questions.questions_for(event.id), ticket_type.id, request.form
        )
        answer_errors = answers.errors
        try:
            if not answers.ok:
                raise services.RegistrationError("Some answers need correcting.")
            registration = register_on_behalf(
                current_user._get_current_object(), event, ticket_type, form.email.data,
                form.name.data, form.organisation.data, complimentary=form.complimentary.data,
            )  # fmt: skip
            questions.save_answers(registration, answers)
        except services.EventFullError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 409
        except (services.RegistrationError, AccountError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 422
        else:
            db.session.commit()
            flash(
                f"{registration.user.name} is registered: "
                f"{services.status_label(registration.status).lower()}.",
                "success",
            )
            return redirect(
                url_for("organiser.registration_detail", registration_id=registration.id),
                code=303,
            )
    elif request.method == "POST":
        status = 422
    return render_template(
        "organiser/add_delegate.html", event=event, form=form,
        **question_context(event, request.form, answer_errors),
    ), status  # fmt: skip


@bp.get("/registrations/<int:registration_id>")
def registration_detail(registration_id: int):
    registration = db.get_or_404(Registration, registration_id, description="No such registration.")
    logs = db.session.execute(
        select(RegistrationLog)
        .where(RegistrationLog.registration_id == registration.id)
        .options(selectinload(RegistrationLog.actor))
        .order_by(RegistrationLog.created_at, RegistrationLog.id)
    ).scalars()
    messages = outbox_services.registration_messages(registration.id)
    # Emails logged before the outbox kept each message's state are listed as they were.
    first = messages[0].created_at if messages else None
    earlier = db.session.execute(
        select(EmailLog)
        .where(EmailLog.registration_id == registration.id)
        .where(EmailLog.created_at < first if first else True)
        .order_by(EmailLog.created_at, EmailLog.id)
    ).scalars()
    return render_template(
        "organiser/registrations_detail.html",
        r=registration,
        event=registration.event,
        logs=list(logs),
        messages=messages,
        earlier=list(earlier),
        labels=services.STATUS_LABELS,
        position=services.waitlist_position(registration),
        benchmark_valid=services.has_valid_benchmark(registration.user.organisation_id),
        answers=_answers(registration),
        form=ActionForm(),
    )


def _answers(registration: Registration) -> list[tuple]:
    """(question, answer text) for each question the registration's ticket is asked."""
    mine = questions.answers_by_registration([registration.id]).get(registration.id, {})
    return [
        (q, questions.display(mine.get(q.id)))
        for q in questions.questions_for(registration.event_id)
        if q.applies_to(registration.ticket_type_id)
    ]


def _act(registration_id: int, action, done: str):
    registration = db.get_or_404(Registration, registration_id, description="No such registration.")
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    back = local_path(request.form.get("next")) or ""
    if not back.startswith("/organiser/"):
        back = url_for("organiser.registrations", event_id=registration.event_id)
    try:
        message = action(registration, current_user._get_current_object())
    except services.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(back, code=303)
    db.session.commit()
    flash(message or done.format(name=registration.user.name), "success")
    return redirect(back, code=303)


@bp.post("/registrations/<int:registration_id>/mark-paid")
def mark_paid(registration_id: int):
    def action(r, actor):
        if r.paid_at is not None:
            raise services.RegistrationError(f"{r.user.name} is already marked paid.")
        if r.amount_due_pence == 0:
            raise services.RegistrationError("This ticket is free: there is nothing to pay.")
        services.mark_paid(r, actor, amount_pence=r.amount_due_pence, provider="invoice")

    return _act(registration_id, action, "{name} is marked paid.")


@bp.post("/registrations/<int:registration_id>/cancel")
def cancel_registration(registration_id: int):
    return _act(
        registration_id,
        lambda r, actor: services.cancel_registration(r, actor) and None,
        "{name}'s registration is cancelled; the seat has gone to the waiting list if anyone "
        "was waiting.",
    )


@bp.post("/registrations/<int:registration_id>/confirm")
def confirm_registration(registration_id: int):
    return _act(
        registration_id,
        lambda r, actor: services.confirm_registration(r, actor) and None,
        "{name} is confirmed and has been sent their ticket.",
    )


@bp.post("/registrations/<int:registration_id>/admit")
def admit_from_waitlist(registration_id: int):
    def action(r, actor):
        if not services.admit_from_waitlist(r, actor):
            raise services.EventFullError(
                "There is no free seat for this ticket type: cancel someone or raise the capacity."
            )
        return f"{r.user.name} has a seat now ({services.status_label(r.status)})."

    return _act(registration_id, action, "")


@bp.post("/registrations/<int:registration_id>/resend")
def resend_ticket(registration_id: int):
    def action(r, actor):
        if r.status == S.CONFIRMED:
            kind = "confirmation"
        elif r.status == S.PENDING_BENCHMARK:
            kind = "pending_benchmark"
        elif r.status == S.PENDING_PAYMENT:
            kind = "pending_payment"
        else:
            raise services.RegistrationError("There is no ticket to send for this registration.")
        emails.send_registration_email(r, kind, extra={"resent_by": actor.email})
        return f"Email sent again to {r.user.email}."

    return _act(registration_id, action, "")
