"""Registering for events, the delegate's tickets and account, workshop bookings."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.membership import join_business, pending_request
from app.auth.roles import verified_required, verified_to_submit
from app.auth.services import AccountError
from app.events.availability import availability
from app.events.models import Event, EventKind
from app.events.services import public_event_or_none
from app.events.speaker_services import speaker_for_user
from app.extensions import db, limiter
from app.formutil import options
from app.hosts import brief as visit_brief
from app.hosts.gate import hosted_organisation_id
from app.hosts.services import HostError
from app.payments.services import paying_by_bank
from app.questions import services as questions
from app.questions.routes import form_context as question_context
from app.registration import services
from app.registration.colleagues import register_colleague, transfer_registration
from app.registration.emails import event_calendar
from app.registration.forms import ActionForm, ColleagueForm, RegisterForm, TransferForm
from app.registration.models import Registration, RegistrationStatus
from app.registration.qr import qr_png
from app.registration.tickets import normalise_secret
from app.templating import format_pence
from app.timeutil import utcnow
from app.urls import local_path

bp = Blueprint("registration", __name__)
S = RegistrationStatus


def _safe_next(default: str) -> str:
    return local_path(request.form.get("next") or request.args.get("next")) or default


def _public_event(slug: str) -> Event:
    event = public_event_or_none(slug)
    if event is None:
        abort(404, "There is no such event, or it is not open to the public yet.")
    return event


def _after_register(registration_id: int, status: str, title: str):
    """Where a delegate goes once registered: payment, the benchmark, or their ticket. Takes
    plain values read before COMMIT, which would otherwise reload the registration and event."""
    if status == S.CONFIRMED:
        flash(f"You are registered for {title}. Your ticket is below.", "success")
        return redirect(url_for("registration.my_tickets"))
    if status in (S.WAITLISTED, S.AWAITING_HOST):
        # Its card on My tickets gives the position, or says the host decides next: no flash.
        return redirect(
            url_for("registration.my_tickets", _anchor=f"registration-{registration_id}")
        )
    if status == S.PENDING_PAYMENT:
        if (
            current_app.config.get("STRIPE_SECRET_KEY")
            and "payments.checkout" in current_app.view_functions
        ):
            return redirect(url_for("payments.checkout", registration_id=registration_id))
        # The payment page says how to pay, by when and with which reference: no flash.
        if "payments.status" in current_app.view_functions:
            return redirect(url_for("payments.status", registration_id=registration_id))
        return redirect(
            url_for("registration.my_tickets", _anchor=f"registration-{registration_id}")
        )
    # The benchmark page says the seat is held and what is left to do: no flash.
    return redirect(url_for("benchmark.index", next=url_for("registration.my_tickets")))


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@verified_to_submit
def register(slug: str):
    event = _public_event(slug)
    now = utcnow()
    ticket_types = [t for t in event.ticket_types if not t.hidden]
    form = RegisterForm()
    form.ticket_type.choices = options((t.id, t.name) for t in ticket_types)
    closed = services.registration_closed_reason(event, None, now)
    asked = questions.questions_for(event.id)  # read once: for the form and for the answers
    existing = waiting = None
    if current_user.is_authenticated:
        existing = services.live_registration(current_user.id, event.id)
        # Only someone without a business can be waiting to join one.
        waiting = pending_request(current_user) if current_user.organisation_id is None else None
    if request.method == "GET":
        wanted = request.args.get("ticket", type=int)
        if wanted in {t.id for t in ticket_types}:
            form.ticket_type.data = wanted
        elif len(ticket_types) == 1:
            form.ticket_type.data = ticket_types[0].id

    answer_errors: dict[int, str] = {}
    consent_error: list[str] = []

    def page(status: int = 200, full: bool = False, message: str | None = None):
        places = availability(event, ticket_types)
        return render_template(
            "registration/register.html",
            event=event,
            ticket_types=ticket_types,
            form=form,
            closed=closed,
            existing=existing,
            # Full: the form's one button joins the waiting list.
            full=full or places.sold_out,
            places=places,
            message=message,
            position=services.waitlist_position(existing) if existing else None,
            needs_organisation=current_user.is_authenticated
            and current_user.organisation_id is None
            and not waiting,
            **question_context(event, request.form, answer_errors, asked),
            **visit_brief.form_context(event, request.form, next(iter(consent_error), None)),
        ), status

    if request.method == "GET":
        return page()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("registration.register", slug=slug)))
    if closed:
        return page(400, message=closed)
    if existing is not None:
        return page(409, message=f"You are already registered for {event.title}.")
    if not form.validate_on_submit():
        return page(422)
    ticket_type = next((t for t in ticket_types if t.id == form.ticket_type.data), None)
    if ticket_type is None:
        return page(400, message="That ticket type is not on sale for this event.")
    answers = questions.parse_answers(asked, ticket_type.id, request.form)
    if not answers.ok:
        answer_errors.update(answers.errors)
        return page(422)
    if not form.join_waitlist.data and services.sold_out_as_read(event, ticket_type):
        # Full already when this request read the counters: refused before any write, so
        # nothing is rolled back and reloaded (most of a sold-out rush takes this way).
        form.join_waitlist.data = True
        return page(409, full=True, message=services.full_message(event, ticket_type))
    try:  # a site visit's safety brief and terms, accepted by version
        consent = visit_brief.check_consent(event, request.form)
    except HostError as exc:
        consent_error.append(str(exc))
        return page(422)
    user = current_user._get_current_object()
    try:
        if user.organisation_id is None and form.organisation.data and not waiting:
            # A known business is a request to join it: the place waits until approved.
            join_business(user, form.organisation.data, form.companies_house_number.data)
        registration = services.register_delegate(
            user, event, ticket_type, now=now, join_waitlist=form.join_waitlist.data,
            existing_checked=True, seat_last=True,
        )  # fmt: skip
        if answers.values:  # a new registration has no earlier answers to replace
            questions.save_answers(registration, answers)
        visit_brief.record_consent(registration, consent, now)
    except services.EventFullError as exc:
        db.session.rollback()
        form.join_waitlist.data = True
        return page(409, full=True, message=str(exc))
    except (services.RegistrationError, AccountError) as exc:
        db.session.rollback()
        return page(400, message=str(exc))
    outcome = (registration.id, registration.status, event.title)
    db.session.commit()
    return _after_register(*outcome)


@bp.get("/me/tickets")
@login_required
def my_tickets():
    registrations = services.registrations_for_user(current_user.id)
    live = [r for r in registrations if r.status not in (S.CANCELLED, S.REFUNDED)]
    past = [r for r in registrations if r not in live]
    bookings = services.bookings_for_user(current_user.id)
    by_registration: dict[int, list] = {}
    for booking in sorted(bookings, key=lambda b: b.session.starts_at):
        by_registration.setdefault(booking.registration_id, []).append(booking)
    now = utcnow()
    stripe_checkout = "payments.checkout" in current_app.view_functions and bool(
        current_app.config.get("STRIPE_SECRET_KEY")
    )
    return render_template(
        "registration/my_tickets.html",
        live=live,
        past=past[:10],
        bookings=by_registration,
        positions=services.waitlist_positions(
            {r.event_id for r in live if r.status == S.WAITLISTED}
        ),
        labels=services.STATUS_LABELS,
        now=now,
        asks_questions=questions.events_with_questions({r.event_id for r in live}),
        visit_briefs=visit_brief.briefs_for(
            {r.event_id for r in live if r.event.kind == EventKind.SITE_VISIT}
        ),
        to_accept=visit_brief.needing_acceptance(live),
        form=ActionForm(),
        stripe_checkout=stripe_checkout,
        # A bank payment on its way is not asked for again (a card payment would pay twice).
        by_bank=paying_by_bank({r.id for r in live if r.status == S.PENDING_PAYMENT})
        if stripe_checkout
        else set(),
    )


@bp.get("/me")
@login_required
def account():
    from app.benchmark.models import BenchmarkResponse

    org = current_user.organisation
    latest = None
    if org is not None:
        latest = db.session.execute(
            select(BenchmarkResponse)
            .where(
                BenchmarkResponse.organisation_id == org.id,
                BenchmarkResponse.status == "submitted",
            )
            .order_by(BenchmarkResponse.submitted_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    valid = services.has_valid_benchmark(org.id if org else None)
    live = [
        r
        for r in services.registrations_for_user(current_user.id)
        if r.status not in (S.CANCELLED, S.REFUNDED)
    ]
    return render_template(
        "registration/account.html",
        org=org,
        latest=latest,
        valid=valid,
        valid_until=latest.submitted_at + services.BENCHMARK_VALID_FOR
        if latest and latest.submitted_at
        else None,
        live=live,
        labels=services.STATUS_LABELS,
        calendar_settings="feeds.calendar_settings" in current_app.view_functions,
        hosting=hosted_organisation_id(current_user) is not None,
        speaker=speaker_for_user(current_user),
    )


def _ticket_for_viewer(secret: str) -> Registration:
    registration = db.session.execute(
        select(Registration).where(Registration.ticket_secret == normalise_secret(secret))
    ).scalar_one_or_none()
    # The same answer for "no such ticket" and "not yours": secrets are not to be probed.
    if (
        registration is None
        or registration.status != S.CONFIRMED
        or not (registration.user_id == current_user.id or current_user.is_organiser)
    ):
        abort(404, "There is no ticket with that code for you.")
    return registration


@bp.get("/tickets/<secret>/qr.png")
@login_required
def ticket_qr(secret: str):
    registration = _ticket_for_viewer(secret)
    etag = hashlib.sha256(registration.ticket_secret.encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(qr_png(registration.ticket_secret), mimetype="image/png")
    response.set_etag(etag)
    # A ticket: never kept in a shared computer's cache (the ETag still saves the bytes).
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _own_registration(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404, "There is no such registration of yours.")
    return registration


@bp.get("/me/registrations/<int:registration_id>/event.ics")
@login_required
def ticket_calendar(registration_id: int):
    registration = _own_registration(registration_id)
    response = Response(event_calendar(registration.event), mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{registration.event.slug}.ics"'
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/me/registrations/<int:registration_id>/cancel")
@login_required
def cancel(registration_id: int):
    registration = _own_registration(registration_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    was_waitlisted = registration.status == S.WAITLISTED
    try:
        services.cancel_registration(registration, current_user._get_current_object())
    except services.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("registration.my_tickets"), code=303)
    db.session.commit()
    flash(
        "You have left the waiting list."
        if was_waitlisted
        else f"Your registration for {registration.event.title} is cancelled.",
        "success",
    )
    return redirect(url_for("registration.my_tickets"), code=303)


# Both can create accounts and email new addresses: limited, so they cannot be used to spam.
@bp.route("/events/<slug>/register/colleague", methods=["GET", "POST"])
@login_required
@verified_required
@limiter.limit("20 per hour", methods=["POST"])
def register_colleague_page(slug: str):
    """Book a place for a colleague from the same business, in their name."""
    event = _public_event(slug)
    now = utcnow()
    ticket_types = [t for t in event.ticket_types if not t.hidden]
    form = ColleagueForm()
    form.ticket_type.choices = options((t.id, f"{t.name} · {format_pence(t.price_pence)}")
                                       for t in ticket_types)  # fmt: skip
    closed = services.registration_closed_reason(event, None, now)
    status = 200
    answer_errors: dict[int, str] = {}
    if request.method == "POST":
        status = 422
        if closed:
            flash(closed, "danger")
        elif form.validate_on_submit():
            ticket_type = next(t for t in ticket_types if t.id == form.ticket_type.data)
            answers = questions.parse_answers(
                questions.questions_for(event.id), ticket_type.id, request.form
            )
            answer_errors = answers.errors
            try:
                if not answers.ok:
                    raise services.RegistrationError("Some answers need correcting.")
                registration = register_colleague(
                    current_user._get_current_object(), event, ticket_type,
                    form.email.data, form.name.data, join_waitlist=form.join_waitlist.data,
                    now=now,
                )  # fmt: skip
                questions.save_answers(registration, answers)
            except services.EventFullError as exc:
                db.session.rollback()
                flash(f"{exc} Tick the box to put them on it.", "warning")
                status = 409
            except services.RegistrationError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                db.session.commit()
                flash(
                    f"{registration.user.name} is registered for {event.title}: "
                    f"{services.status_label(registration.status).lower()}. We have emailed "
                    "them.",
                    "success",
                )
                return redirect(url_for("registration.my_tickets"), code=303)
    return render_template(
        "registration/register_colleague.html", event=event, form=form, closed=closed,
        **question_context(event, request.form, answer_errors),
    ), status  # fmt: skip


@bp.get("/me/registrations/<int:registration_id>/invoice")
@login_required
def invoice(registration_id: int):
    """The invoice for a paid ticket (a receipt once paid), for the delegate or an organiser."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not (
        registration.user_id == current_user.id or current_user.is_organiser
    ):
        abort(404, "There is no such registration of yours.")
    if registration.amount_due_pence == 0:
        abort(404, "This ticket is free: there is no invoice.")
    config = current_app.config
    return render_template(
        "registration/invoice.html",
        r=registration,
        number=registration.invoice_number,
        issuer=config["INVOICE_ISSUER"],
        issuer_address=[
            line.strip() for line in config["INVOICE_ADDRESS"].split(";") if line.strip()
        ],
        vat_number=config["INVOICE_VAT_NUMBER"],
        payment_details=config["INVOICE_PAYMENT_DETAILS"],
    )


@bp.route("/me/registrations/<int:registration_id>/transfer", methods=["GET", "POST"])
@login_required
@verified_required
@limiter.limit("20 per hour", methods=["POST"])
def transfer(registration_id: int):
    """Send a colleague instead: the place, its payment and bookings pass to them whole."""
    registration = _own_registration(registration_id)
    form = TransferForm()
    status = 200
    if form.validate_on_submit():
        try:
            colleague = transfer_registration(
                registration, current_user._get_current_object(), form.email.data, form.name.data
            )
        except services.RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 422
        else:
            db.session.commit()
            flash(
                f"Your place at {registration.event.title} is now {colleague.name}'s. "
                "We have emailed them their ticket.",
                "success",
            )
            return redirect(url_for("registration.my_tickets"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template(
        "registration/transfer.html", form=form, registration=registration
    ), status
