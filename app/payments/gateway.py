"""The one module that talks to Stripe. Everything else sees plain dataclasses.

Settings: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and, for tests or stripe-mock only,
STRIPE_API_BASE (where the Stripe API lives; default Stripe's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import stripe
from flask import current_app


class GatewayError(Exception):
    """Stripe could not be reached or refused the request; nothing should be recorded."""


class WebhookError(ValueError):
    """A webhook body that is not signed with our secret, or not a Stripe event."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str  # upper case, e.g. "GBP"
    metadata: dict[str, str] = field(default_factory=dict)
    client_reference_id: str | None = None
    payment_intent: str | None = None
    expires_at: datetime | None = None  # naive UTC


@dataclass(frozen=True)
class Charge:
    id: str
    payment_intent: str | None
    amount: int
    amount_refunded: int
    currency: str
    refunded: bool  # fully refunded


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class Dispute:
    id: str
    charge: str | None
    payment_intent: str | None
    amount: int
    currency: str
    status: str  # warning_needs_response | needs_response | under_review | won | lost | ...
    reason: str


@dataclass(frozen=True)
class RefundDetail:
    id: str
    payment_intent: str | None
    amount: int
    status: str  # pending | succeeded | failed | canceled
    failure_reason: str


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object_id: str
    object_type: str


def _client() -> stripe.StripeClient:
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise GatewayError("Card payments are not configured.")
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        # The library retries network failures with the same idempotency key.
        max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
    )


def _delayed_methods() -> list[str]:
    raw = current_app.config.get("STRIPE_DELAYED_METHODS") or ""
    return [m.strip() for m in raw.split(",") if m.strip() and m.strip() != "card"]


def _naive_utc(timestamp: int | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(int(timestamp), UTC).replace(tzinfo=None)


def _session(obj) -> CheckoutSession:
    data = obj.to_dict()
    return CheckoutSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "",
        payment_status=data.get("payment_status") or "",
        amount_total=data.get("amount_total"),
        currency=(data.get("currency") or "").upper(),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        client_reference_id=data.get("client_reference_id"),
        payment_intent=_id_of(data.get("payment_intent")),
        expires_at=_naive_utc(data.get("expires_at")),
    )


def _id_of(value) -> str | None:
    """Stripe sends either an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _call(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe %s failed: %s", what, exc)
        message = getattr(exc, "user_message", None) or "The card payment service did not answer."
        raise GatewayError(message) from exc


def create_checkout_session(
    *,
    amount_pence: int,
    currency: str,
    product_name: str,
    customer_email: str,
    metadata: dict[str, str],
    client_reference_id: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    idempotency_key: str,
) -> CheckoutSession:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_pence,
                    "product_data": {"name": product_name},
                },
            }
        ],
        "customer_email": customer_email,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        # Cards settle at once. Delayed methods (Bacs Direct Debit...) complete the session
        # unpaid and settle days later: only when the operator enables them.
        "payment_method_types": ["card", *_delayed_methods()],
        "expires_at": int(expires_at.replace(tzinfo=UTC).timestamp()),
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    client = _client()
    obj = _call(
        "checkout",
        client.v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )
    return _session(obj)


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    client = _client()
    return _session(_call("session lookup", client.v1.checkout.sessions.retrieve, session_id))


def expire_checkout_session(session_id: str) -> CheckoutSession:
    """Close an open session so it can no longer be paid."""
    client = _client()
    return _session(_call("session expiry", client.v1.checkout.sessions.expire, session_id))


def retrieve_charge(charge_id: str) -> Charge:
    client = _client()
    data = _call("charge lookup", client.v1.charges.retrieve, charge_id).to_dict()
    return Charge(
        id=data["id"],
        payment_intent=_id_of(data.get("payment_intent")),
        amount=int(data.get("amount") or 0),
        amount_refunded=int(data.get("amount_refunded") or 0),
        currency=(data.get("currency") or "").upper(),
        refunded=bool(data.get("refunded")),
    )


def create_refund(
    *, payment_intent: str, amount_pence: int, idempotency_key: str, metadata: dict[str, str]
) -> Refund:
    client = _client()
    obj = _call(
        "refund",
        client.v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount_pence, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )
    data = obj.to_dict()
    return Refund(id=data["id"], status=data.get("status") or "", amount=int(data["amount"]))


def retrieve_dispute(dispute_id: str) -> Dispute:
    client = _client()
    data = _call("dispute lookup", client.v1.disputes.retrieve, dispute_id).to_dict()
    return Dispute(
        id=data["id"],
        charge=_id_of(data.get("charge")),
        payment_intent=_id_of(data.get("payment_intent")),
        amount=int(data.get("amount") or 0),
        currency=(data.get("currency") or "").upper(),
        status=data.get("status") or "",
        reason=data.get("reason") or "",
    )


def retrieve_refund(refund_id: str) -> RefundDetail:
    client = _client()
    data = _call("refund lookup", client.v1.refunds.retrieve, refund_id).to_dict()
    return RefundDetail(
        id=data["id"],
        payment_intent=_id_of(data.get("payment_intent")),
        amount=int(data.get("amount") or 0),
        status=data.get("status") or "",
        failure_reason=data.get("failure_reason") or "",
    )


def construct_event(payload: bytes, sig_header: str | None, secret: str) -> WebhookEvent:
    """Verify the Stripe-Signature header (timestamp and HMAC) and read the event."""
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, secret)
    except stripe.SignatureVerificationError as exc:
        raise WebhookError("The Stripe-Signature header does not match this body.") from exc
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # Signed correctly but not a JSON object (json errors are ValueErrors).
        raise WebhookError("The body is not a Stripe event.") from exc
    data = event.to_dict()
    obj = (data.get("data") or {}).get("object")
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise WebhookError("The event has no id or type.")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise WebhookError("The event carries no object.")
    return WebhookEvent(
        id=data["id"], type=data["type"], object_id=obj["id"], object_type=str(obj.get("object"))
    )
