"""A stand-in for Stripe's HTTP API, served from a thread, so tests replace only the network.

The real `stripe` library talks to it (STRIPE_API_BASE points here): requests are encoded,
idempotency keys sent and responses parsed exactly as in production. Webhook bodies are
signed with the real scheme (t=timestamp,v1=HMAC-SHA256 of "t.payload") and checked by the
real `stripe.Webhook.construct_event`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]


def _error(status: int, message: str, type_: str = "invalid_request_error"):
    return status, {"error": {"type": type_, "message": message}}


class FakeStripe:
    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.requests: list[Recorded] = []
        # called with each request before it is answered (e.g. to probe the app's locks)
        self.during: Callable[[str, str], None] | None = None
        # seconds to wait before answering, by "METHOD /v1/prefix" (for race tests)
        self.delays: dict[str, float] = {}
        self.fail_with: int | None = None  # answer every request with this HTTP status
        self._idempotent: dict[str, tuple[int, dict]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- server -------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(body, keep_blank_values=True))
                status, data = fake.handle(self.command, self.path, dict(self.headers), params)
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = _answer
            do_POST = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # --- API ----------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict, params: dict) -> tuple[int, dict]:
        path = path.split("?")[0]
        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(Recorded(method, path, headers, params))
        if self.during is not None:
            self.during(method, path)
        for key, seconds in self.delays.items():
            if f"{method} {path}".startswith(key):
                time.sleep(seconds)
        if self.fail_with:
            return _error(self.fail_with, "Stripe is having a bad day.", "api_error")
        if not headers.get("authorization", "").startswith("Bearer sk_test_"):
            return _error(401, "Invalid API Key provided.", "authentication_error")
        key = headers.get("idempotency-key")
        with self._lock:
            if method == "POST" and key and key in self._idempotent:
                return self._idempotent[key]
            result = self._route(method, path, params)
            if method == "POST" and key:
                self._idempotent[key] = result
            return result

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if m := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path):
            if method == "GET" and m.group(1) in self.sessions:
                return 200, self.sessions[m.group(1)]
            return _error(404, f"No such checkout.session: '{m.group(1)}'")
        if m := re.fullmatch(r"/v1/checkout/sessions/([\w]+)/expire", path):
            session = self.sessions.get(m.group(1))
            if session is None:
                return _error(404, f"No such checkout.session: '{m.group(1)}'")
            if session["status"] != "open":
                return _error(400, "Only open Checkout Sessions can be expired.")
            session["status"] = "expired"
            return 200, session
        if m := re.fullmatch(r"/v1/charges/([\w]+)", path):
            if m.group(1) in self.charges:
                return 200, self.charges[m.group(1)]
            return _error(404, f"No such charge: '{m.group(1)}'")
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        for kind, store in (("disputes", self.disputes), ("refunds", self.refunds)):
            if method == "GET" and (m := re.fullmatch(rf"/v1/{kind}/([\w]+)", path)):
                if m.group(1) in store:
                    return 200, store[m.group(1)]
                return _error(404, f"No such {kind[:-1]}: '{m.group(1)}'")
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_session(self, p: dict) -> tuple[int, dict]:
        expires_at = int(p.get("expires_at") or time.time() + 86400)
        if expires_at < time.time() + 30 * 60:
            return _error(400, "The `expires_at` timestamp must be at least 30 minutes from now.")
        if p.get("mode") != "payment":
            return _error(400, "This fake only does mode=payment.")
        unit = int(p["line_items[0][price_data][unit_amount]"])
        quantity = int(p.get("line_items[0][quantity]", "1"))
        sid = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": sid,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": unit * quantity,
            "currency": p["line_items[0][price_data][currency]"],
            "customer_email": p.get("customer_email"),
            "client_reference_id": p.get("client_reference_id"),
            "metadata": {
                k[len("metadata[") : -1]: v for k, v in p.items() if k.startswith("metadata[")
            },
            "payment_intent": None,
            "expires_at": expires_at,
            "success_url": p.get("success_url"),
            "cancel_url": p.get("cancel_url"),
            "url": f"https://checkout.stripe.test/c/pay/{sid}",
        }
        self.sessions[sid] = session
        return 200, session

    def _create_refund(self, p: dict) -> tuple[int, dict]:
        charge = next(
            (c for c in self.charges.values() if c["payment_intent"] == p.get("payment_intent")),
            None,
        )
        if charge is None:
            return _error(404, f"No such payment_intent: '{p.get('payment_intent')}'")
        amount = int(p.get("amount") or charge["amount"] - charge["amount_refunded"])
        if charge["amount_refunded"] + amount > charge["amount"]:
            return _error(400, "Refund amount is greater than unrefunded amount on charge.")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": "re_" + secrets.token_hex(10),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "status": "succeeded",
            "metadata": {
                k[len("metadata[") : -1]: v for k, v in p.items() if k.startswith("metadata[")
            },
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    # --- what happens on Stripe's side --------------------------------------------------

    def pay(self, session_id: str, amount: int | None = None) -> dict:
        """The delegate pays on Stripe's page; returns the completed session."""
        session = self.sessions[session_id]
        if amount is not None:
            session["amount_total"] = amount
        pi = "pi_" + secrets.token_hex(10)
        charge = {
            "id": "ch_" + secrets.token_hex(10),
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": 0,
            "refunded": False,
            "currency": session["currency"],
            "payment_intent": pi,
        }
        self.charges[charge["id"]] = charge
        session.update(status="complete", payment_status="paid", payment_intent=pi)
        return session

    def complete_unpaid(self, session_id: str) -> dict:
        """A delayed method (Bacs Direct Debit): the session completes before the money."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="unpaid")
        return session

    def settle(self, session_id: str) -> dict:
        """The delayed payment arrives (async_payment_succeeded follows)."""
        return self.pay(session_id)

    def expire(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        session["status"] = "expired"
        return session

    def refund_in_dashboard(self, charge_id: str) -> dict:
        charge = self.charges[charge_id]
        charge.update(amount_refunded=charge["amount"], refunded=True)
        return charge

    def open_dispute(self, charge_id: str, reason: str = "fraudulent") -> dict:
        charge = self.charges[charge_id]
        dispute = {
            "id": "dp_" + secrets.token_hex(10),
            "object": "dispute",
            "amount": charge["amount"],
            "currency": charge["currency"],
            "charge": charge_id,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "needs_response",
        }
        self.disputes[dispute["id"]] = dispute
        return dispute

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> dict:
        refund = self.refunds[refund_id]
        refund.update(status="failed", failure_reason=reason)
        return refund

    def charge_for(self, session_id: str) -> dict:
        pi = self.sessions[session_id]["payment_intent"]
        return next(c for c in self.charges.values() if c["payment_intent"] == pi)


def event_body(type_: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "type": type_,
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for this body."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def running_fake(app):
    """For a `stripe_api` fixture: `yield from running_fake(app)`. FakeStripe runs and the
    app's Stripe client points at it; the test still sets the keys with
    @pytest.mark.config(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_test")."""
    fake = FakeStripe().start()
    app.config.update(STRIPE_API_BASE=fake.url, STRIPE_MAX_NETWORK_RETRIES=0)
    try:
        yield fake
    finally:
        fake.stop()
