"""iCalendar feeds: the event, one session, and a delegate's personal feed."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)
