"""The door: scanner page, scan API, name search."""

from flask import Blueprint, render_template

from app.auth.roles import role_required

bp = Blueprint("checkin", __name__)


@bp.get("/checkin")
@role_required("door_staff", "organiser")
def choose_event():
    return render_template("checkin/choose_event.html")
