"""Delivering webhooks: claim, POST signed, record; retry with backoff.

A delivery is claimed by one conditional UPDATE (queued and due, or a claim whose lease ran
out) stamped with this attempt's token, so two workers never send the same row; the outcome
is recorded only under that token. Redirects are never followed, and outside development no
call goes to a loopback, link-local or private address (checked when sending too, since DNS
can change after the endpoint was added).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.timeutil import utcnow
from app.webhooks.models import DELIVERED, FAILED, QUEUED, SENDING, WebhookDelivery
from app.webhooks.services import (
    WebhookError,
    check_destination,
    check_url,
    private_allowed,
    sign,
)

log = logging.getLogger(__name__)

# Minutes to wait after each failed attempt; after the last, the delivery has failed.
BACKOFF_MINUTES = (1, 5, 30, 120, 360, 720, 1440)
LEASE = timedelta(minutes=2)
BATCH = 50
TIMEOUT_SECONDS = 10


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is the receiver's answer, not somewhere to go


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass
class Outcome:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def _claimable(now: datetime):
    return or_(
        and_(WebhookDelivery.status == QUEUED, WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == SENDING, WebhookDelivery.claimed_until < now),
    )


def claim(now: datetime, ids: list[int] | None = None) -> tuple[str, list[int]]:
    """Claim due deliveries (or these ids) for one attempt and commit the claim."""
    token = uuid.uuid4().hex
    if ids is None:
        target = WebhookDelivery.id.in_(
            select(WebhookDelivery.id)
            .where(_claimable(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    else:
        target = WebhookDelivery.id.in_(ids)
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(target, _claimable(now))
        .values(
            status=SENDING,
            claim_token=token,
            claimed_until=now + LEASE,
            attempts=WebhookDelivery.attempts + 1,
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    mine = sorted(claimed)
    db.session.commit()
    return token, mine


def post(url: str, secret: str, body: bytes, event_id: str, event_type: str) -> int:
    """POST the body; returns the HTTP status (3xx included: redirects are not followed)."""
    check_destination(check_url(url), private_allowed())
    request = urllib.request.Request(  # noqa: S310  (check_url allows only http and https)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Journey-Webhooks/1",
            "Journey-Signature": sign(secret, body, int(time.time())),
            "Journey-Event-Id": event_id,
            "Journey-Event-Type": event_type,
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver_due(now: datetime | None = None, ids: list[int] | None = None) -> Outcome:
    now = now or utcnow()
    token, claimed = claim(now, ids)
    outcome = Outcome()
    for delivery_id in claimed:
        delivery = db.session.get(WebhookDelivery, delivery_id)
        endpoint = delivery.endpoint
        status, problem = None, None
        if not endpoint.active:
            _record(
                delivery_id, token, None, "The endpoint is turned off.", now, outcome, final=True
            )
            continue
        try:
            status = post(
                endpoint.url, endpoint.secret, delivery.body.encode(),
                delivery.event_id, delivery.event_type,
            )  # fmt: skip
            if not 200 <= status < 300:
                problem = f"HTTP {status}"
        except WebhookError as exc:
            problem = str(exc)
        except (OSError, ValueError) as exc:  # refused, timed out, bad answer
            problem = f"{type(exc).__name__}: {exc}"[:500]
        _record(delivery_id, token, status, problem, now, outcome)
    return outcome


def _record(delivery_id, token, status, problem, now, outcome: Outcome, final=False) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    values: dict = {"last_status": status, "last_error": problem, "claimed_until": None}
    if problem is None:
        values.update(status=DELIVERED, delivered_at=now)
        outcome.delivered += 1
    elif final or delivery.attempts >= len(BACKOFF_MINUTES) + 1:
        values.update(status=FAILED)
        outcome.failed += 1
    else:
        wait = timedelta(minutes=BACKOFF_MINUTES[delivery.attempts - 1])
        values.update(status=QUEUED, next_attempt_at=now + wait)
        outcome.retrying += 1
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if problem:
        current_app.logger.info("Webhook delivery %s: %s", delivery_id, problem)


def body_of(delivery: WebhookDelivery) -> dict:
    return json.loads(delivery.body)
