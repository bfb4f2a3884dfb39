"""Public speaker pages."""

from flask import Blueprint, render_template

bp = Blueprint("speakers", __name__)


@bp.get("/speakers")
def index():
    return render_template("events/speakers.html")
