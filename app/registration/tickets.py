"""Ticket secrets: what the QR code encodes, and nothing about the person."""

from __future__ import annotations

import base64
import re
import secrets

PREFIX = "JRN1-"
_SHAPE = re.compile(r"^JRN1-[A-Z2-7]{32}$")


def new_ticket_secret() -> str:
    """ "JRN1-" and 160 random bits in base32 (32 characters, no padding)."""
    return PREFIX + base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def normalise_secret(value: str | None) -> str:
    """What a scanner or a typed code becomes before lookup: stripped and upper-cased."""
    return (value or "").strip().upper()


def looks_like_secret(value: str) -> bool:
    return bool(_SHAPE.match(value))
