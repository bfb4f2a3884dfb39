"""Registering for events, the delegate's tickets and account."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("registration", __name__)


@bp.get("/events/<slug>/register")
@login_required
def register(slug: str):
    return render_template("registration/register.html")


@bp.get("/me/tickets")
@login_required
def my_tickets():
    return render_template("registration/my_tickets.html")


@bp.get("/me")
@login_required
def account():
    return render_template("registration/account.html")
