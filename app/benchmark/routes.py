"""The productivity benchmark: taking it, results, recommendations."""

from flask import Blueprint, render_template

bp = Blueprint("benchmark", __name__, url_prefix="/benchmark")


@bp.get("")
def index():
    return render_template("benchmark/index.html")
