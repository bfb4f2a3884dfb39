"""Organiser → Webhooks: endpoints, each with its delivery log; replay a delivery."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.roles import require_roles
from app.extensions import db
from app.forms import FlaskForm
from app.formutil import options
from app.webhooks import services
from app.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/organiser/webhooks")
bp.before_request(require_roles("organiser"))


class EndpointForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), Length(max=500)],
                      description="https:// address that receives the events.")  # fmt: skip
    event_types = SelectMultipleField(
        "Events",
        choices=options((t, t) for t in EVENT_TYPES),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message="Choose at least one event.")],
    )


class ActionForm(FlaskForm):
    pass


@bp.route("", methods=["GET", "POST"])
def endpoints():
    form = EndpointForm()
    status = 200
    if form.validate_on_submit():
        try:
            endpoint = services.add_webhook_endpoint(
                current_user, form.url.data, secrets.token_urlsafe(24), form.event_types.data
            )
        except services.WebhookError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 422
        else:
            db.session.commit()
            flash("Webhook added. Its signing secret is on its page.", "success")
            return redirect(url_for(".endpoint", endpoint_id=endpoint.id), code=303)
    elif form.is_submitted():
        status = 422
    page = render_template("webhooks/endpoints.html", form=form, endpoints=services.endpoints())
    return page, status


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.get("/<int:endpoint_id>")
def endpoint(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    return (
        render_template(
            "webhooks/endpoint.html",
            endpoint=endpoint,
            deliveries=services.recent_deliveries(endpoint),
            action=ActionForm(),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.post("/<int:endpoint_id>/active")
def toggle(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    services.set_active(endpoint, current_user, not endpoint.active)
    db.session.commit()
    flash("Webhook turned " + ("on." if endpoint.active else "off."), "success")
    return redirect(url_for(".endpoint", endpoint_id=endpoint.id), code=303)


@bp.post("/deliveries/<int:delivery_id>/replay")
def replay(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    services.replay_delivery(delivery, current_user)
    db.session.commit()
    flash(f"Event {delivery.event_id} queued to send again.", "success")
    return redirect(url_for(".endpoint", endpoint_id=delivery.endpoint_id), code=303)
