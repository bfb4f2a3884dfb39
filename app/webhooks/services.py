"""Registering endpoints, the SSRF guard, signing, and replaying a delivery."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow
from app.webhooks.emit import forget_endpoints
from app.webhooks.models import EVENT_TYPES, QUEUED, WebhookDelivery, WebhookEndpoint


class WebhookError(ValueError):
    """An endpoint or a delivery that cannot be made as asked; the message says why."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Journey-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def private_allowed() -> bool:
    """Loopback and private addresses: allowed outside production unless switched off."""
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def check_url(url: str) -> str:
    """Only absolute http(s) URLs with a host, no credentials in them."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("The URL must be an http:// or https:// address with a host.")
    if parts.username or parts.password:
        raise WebhookError("Put no user name or password in the URL; the secret signs each call.")
    return url


def check_destination(url: str, allow_private: bool) -> None:
    """Refuse loopback, link-local, private and reserved addresses (what an attacker would aim
    a webhook at: cloud metadata, the database, the admin port) unless allowed."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookError(f"The host {host} cannot be found.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise WebhookError(f"{host} is a private, loopback or link-local address.")


def add_webhook_endpoint(
    actor: User | None, url: str, secret: str, event_types: list[str]
) -> WebhookEndpoint:
    """`actor` None: the operator at the command line."""
    if actor is not None and not actor.is_organiser:
        raise WebhookError("Only organisers add webhooks.")
    url = check_url(url)
    check_destination(url, private_allowed())
    if not secret or len(secret) < 16 or len(secret) > 200:
        raise WebhookError("The secret must be 16 to 200 characters.")
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise WebhookError("Choose event types from: " + ", ".join(EVENT_TYPES) + ".")
    endpoint = WebhookEndpoint(
        url=url,
        secret=secret,
        event_types=[t for t in EVENT_TYPES if t in event_types],
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(endpoint)
    db.session.flush()
    forget_endpoints()
    return endpoint


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    return list(
        db.session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).scalars()
    )


def replay_delivery(
    delivery: WebhookDelivery, actor: User, now: datetime | None = None
) -> WebhookDelivery:
    """Send the same body (same event id) again, as a new delivery."""
    if not actor.is_organiser:
        raise WebhookError("Only organisers replay deliveries.")
    again = WebhookDelivery(
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        body=delivery.body,
        status=QUEUED,
        next_attempt_at=now or utcnow(),
        replay_of_id=delivery.id,
    )
    db.session.add(again)
    db.session.flush()
    return again


def set_active(endpoint: WebhookEndpoint, actor: User, active: bool) -> None:
    if not actor.is_organiser:
        raise WebhookError("Only organisers change webhooks.")
    endpoint.active = active
    db.session.flush()
    forget_endpoints()
