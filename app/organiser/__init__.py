"""Organiser screens. Every view here is for organisers only (checked once, below)."""

from flask import Blueprint

from app.auth.roles import require_roles

bp = Blueprint("organiser", __name__, url_prefix="/organiser")
bp.before_request(require_roles("organiser"))
