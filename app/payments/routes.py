"""Stripe Checkout: starting a payment, the return pages, the status page and the webhook."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.events.models import Event
from app.extensions import csrf, db
from app.payments import services, settlement
from app.payments.gateway import GatewayError, WebhookError, construct_event
from app.registration.models import Registration, RegistrationStatus
from app.timeutil import utcnow

bp = Blueprint("payments", __name__, url_prefix="/payments")


def _stripe_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _own_registration(registration_id: int) -> Registration:
    """The delegate's own registration (organisers may look too); 404 for anyone else."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or (
        registration.user_id != current_user.id and not current_user.has_role("organiser")
    ):
        abort(404, "No such registration.")
    return registration


@bp.post("/checkout/<int:registration_id>")
@login_required
def checkout(registration_id: int):
    """Send the delegate to Stripe's payment page (the open one, or a new attempt)."""
    registration = _own_registration(registration_id)
    status_url = url_for(".status", registration_id=registration.id)
    if not _stripe_enabled():
        # The status page explains paying by invoice.
        return redirect(status_url)
    base = current_app.config["BASE_URL"]
    success_url = (
        base
        + url_for(".checkout_return", registration_id=registration.id)
        + "?session_id={CHECKOUT_SESSION_ID}"
    )
    cancel_url = base + url_for(".checkout_cancelled", registration_id=registration.id)
    try:
        plan = services.prepare_checkout(
            registration,
            current_user,
            session_minutes=int(current_app.config.get("STRIPE_CHECKOUT_MINUTES", 30)),
        )
        db.session.commit()  # releases the row locks before Stripe is called
    except services.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(status_url)
    try:
        payment = services.open_checkout(
            plan, current_user, success_url=success_url, cancel_url=cancel_url
        )
        db.session.commit()
    except (services.PaymentError, GatewayError) as exc:
        db.session.rollback()
        services.abandon_checkout(plan)
        db.session.commit()
        flash(str(exc), "warning")
        return redirect(status_url)
    if payment.registration.status != RegistrationStatus.PENDING_PAYMENT:
        flash("This registration is no longer waiting for a payment.", "warning")
        return redirect(status_url)
    return redirect(payment.checkout_url, code=303)


def _settle_refund(payment_id: int | None) -> str | None:
    """A late or duplicate payment is refunded after the commit that found it, so that no
    row lock is held while Stripe is called. Raises GatewayError if Stripe fails: the
    payment stays "refund due" (shown on the revenue page) and Stripe's retry settles it."""
    if payment_id is None:
        return None
    try:
        outcome = settlement.settle_refund(payment_id)
        db.session.commit()
    except (services.PaymentError, GatewayError):
        db.session.rollback()
        raise
    return outcome


@bp.get("/registrations/<int:registration_id>/return")
@login_required
def checkout_return(registration_id: int):
    """Stripe's success_url. A GET changes nothing: it leads to the status page, which asks
    Stripe by a POST of its own (the redirect proves nothing, and a link must not write)."""
    registration = _own_registration(registration_id)
    session_id = request.args.get("session_id", "")[:255]
    return redirect(
        url_for(".status", registration_id=registration.id, session_id=session_id or None)
    )


@bp.post("/registrations/<int:registration_id>/confirm")
@login_required
def confirm(registration_id: int):
    """Ask Stripe whether the delegate's checkout session is paid, and confirm exactly as the
    webhook would. The status page posts here once on its return from Stripe."""
    registration = _own_registration(registration_id)
    session_id = request.form.get("session_id", "")[:255]
    if session_id and _stripe_enabled() and registration.user_id == current_user.id:
        try:
            result = settlement.confirm_from_return(registration, current_user, session_id)
            db.session.commit()
            if result is not None and result.startswith("refund due"):
                _settle_refund(settlement.payment_id_for(session_id))
        except (ValueError, GatewayError) as exc:
            # The webhook will settle it; the status page keeps watching.
            db.session.rollback()
            current_app.logger.info("Return from Stripe not settled: %s", exc)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_status_data(registration))
    return redirect(url_for(".status", registration_id=registration.id))


@bp.get("/registrations/<int:registration_id>/cancelled")
@login_required
def checkout_cancelled(registration_id: int):
    """Stripe's cancel_url: nothing is paid, the seat stays held until the session ends."""
    registration = _own_registration(registration_id)
    if registration.status == RegistrationStatus.PENDING_PAYMENT:
        flash("Payment not completed. Your seat is still held for a short while.", "warning")
    return redirect(url_for(".status", registration_id=registration.id))


def _status_data(registration: Registration) -> dict:
    payment = services.latest_payment(registration.id)
    return {
        "registration_status": registration.status,
        "payment_status": payment.status if payment else None,
        "amount_due_pence": registration.amount_due_pence,
        "amount_paid_pence": registration.amount_paid_pence,
        "paid": registration.paid_at is not None,
    }


@bp.get("/registrations/<int:registration_id>")
@login_required
def status(registration_id: int):
    """What the webhook (or Stripe, asked directly) has recorded; refreshes while pending."""
    registration = _own_registration(registration_id)
    payment = services.latest_payment(registration.id)
    event = db.session.get(Event, registration.event_id)
    now = utcnow()
    session_open = bool(
        payment
        and payment.status == services.OPEN
        and payment.expires_at
        and payment.expires_at > now
    )
    pending = registration.status == RegistrationStatus.PENDING_PAYMENT
    waiting = pending and session_open
    # A bank payment (Bacs) on its way: nothing to do but wait, for days rather than seconds.
    by_bank = pending and payment is not None and payment.status == services.PROCESSING
    return render_template(
        "payments/status.html",
        registration=registration,
        payment=payment,
        event=event,
        waiting=waiting,
        by_bank=by_bank,
        session_open=session_open,
        # Back from Stripe: the page asks Stripe once (a POST) before it starts polling.
        return_session_id=request.args.get("session_id", "")[:255] if waiting else "",
        can_pay=pending
        and not by_bank
        and registration.user_id == current_user.id
        and _stripe_enabled(),
        data=_status_data(registration),
    )


@bp.get("/registrations/<int:registration_id>/status.json")
@login_required
def status_json(registration_id: int):
    registration = _own_registration(registration_id)
    return jsonify(_status_data(registration))


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Stripe's events. Signature checked by stripe.Webhook.construct_event; the object is
    fetched again from Stripe; each event id is applied once."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not _stripe_enabled():
        # 503 so that Stripe keeps retrying until the operator finishes the setup.
        return jsonify(error="Not configured", message="Card payments are not configured."), 503
    try:
        event = construct_event(request.get_data(), request.headers.get("Stripe-Signature"), secret)
    except WebhookError as exc:
        return jsonify(error="Bad request", message=str(exc)), 400
    try:
        result = settlement.handle_webhook_event(event)
        db.session.commit()
    except services.DuplicateEventError:
        db.session.rollback()
        try:  # a refund left due by an earlier delivery is made now
            settled = _settle_refund(settlement.refund_due_for_event(event.id))
        except (services.PaymentError, GatewayError) as exc:
            return jsonify(error="Stripe unavailable", message=str(exc)), 503
        outcome = settled or "duplicate: already processed"
        return jsonify(received=True, id=event.id, outcome=outcome)
    except GatewayError as exc:
        db.session.rollback()
        return jsonify(error="Stripe unavailable", message=str(exc)), 503
    except ValueError as exc:
        # A rule refused the change; answer 500 so Stripe retries and the dashboard shows it.
        db.session.rollback()
        current_app.logger.exception("Stripe event %s (%s) failed", event.id, event.type)
        return jsonify(error="Not applied", message=str(exc)), 500
    outcome = result.outcome
    if result.refund_due:
        try:
            outcome = _settle_refund(result.payment_id) or outcome
        except (services.PaymentError, GatewayError) as exc:
            # Recorded and committed; Stripe retries this event and the refund is made then.
            return jsonify(error="Stripe unavailable", message=str(exc)), 503
    current_app.logger.info("Stripe event %s %s: %s", event.id, event.type, outcome)
    return jsonify(received=True, id=event.id, outcome=outcome)
