"""Organiser views: revenue per ticket type, and refunds."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.events.models import Event
from app.extensions import db
from app.organiser import bp
from app.payments import services, settlement
from app.payments.forms import RefundForm
from app.payments.gateway import GatewayError
from app.payments.revenue import event_payments, revenue_by_ticket_type
from app.registration.models import Registration


@bp.get("/events/<int:event_id>/revenue")
def revenue(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    rows = revenue_by_ticket_type(event)
    return render_template(
        "payments/revenue.html",
        event=event,
        rows=rows,
        totals={
            "gross": sum(r.gross_pence for r in rows),
            "refunded": sum(r.refunded_pence for r in rows),
            "net": sum(r.net_pence for r in rows),
            "paid": sum(r.paid_count for r in rows),
            "awaiting": sum(r.awaiting_count for r in rows),
        },
        payments=event_payments(event),
    )


@bp.route("/registrations/<int:registration_id>/refund", methods=["GET", "POST"])
def payment_refund(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404, "No such registration.")
    form = RefundForm()
    payment = settlement.paid_payment(registration.id)
    code = 200
    if form.is_submitted():
        code = 400
    if form.validate_on_submit():
        try:
            settlement.refund_payment(registration, current_user)
            db.session.commit()
        except (services.PaymentError, GatewayError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            code = 409
        else:
            how = "to the card through Stripe" if payment else "(return the money by hand)"
            flash(f"Refunded {registration.user.name} {how}. The seat is free again.", "success")
            return redirect(url_for("organiser.revenue", event_id=registration.event_id))
    return render_template(
        "payments/refund.html", registration=registration, payment=payment, form=form
    ), code
