"""Outgoing webhooks: organisers register endpoints (URL, secret, event types); what happens
in Journey is written as delivery rows in the same transaction as its cause (emit.py), and
workers claim them, POST them signed (Journey-Signature, like Stripe's) and retry with backoff
(delivery.py)."""
