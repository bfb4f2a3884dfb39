"""Organiser → event → Import delegates: upload a CSV, see the dry run, then register all."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField

from app.auth.roles import require_roles
from app.events.models import Event
from app.extensions import db
from app.forms import FlaskForm
from app.imports.services import MAX_BYTES, ImportError_, check_import, run_import
from app.registration.services import RegistrationError

bp = Blueprint("imports", __name__, url_prefix="/organiser/events")
bp.before_request(require_roles("organiser"))


class UploadForm(FlaskForm):
    file = FileField("CSV file")


class ConfirmForm(FlaskForm):
    csv = HiddenField()


def _event(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


def _page(event, status=200, **context):
    context.setdefault("upload", UploadForm(formdata=None))
    return render_template("imports/import.html", event=event, **context), status


@bp.get("/<int:event_id>/import")
def start(event_id: int):
    return _page(_event(event_id))


@bp.post("/<int:event_id>/import")
def dry_run(event_id: int):
    """Check the file and show what would happen; nothing is written."""
    event = _event(event_id)
    upload = UploadForm()
    if not upload.validate_on_submit() or not upload.file.data:
        flash("Choose a CSV file to check.", "danger")
        return _page(event, 400, upload=upload)
    data = upload.file.data.read(MAX_BYTES + 1)
    try:
        plan = check_import(event, data)
    except ImportError_ as exc:
        flash(str(exc), "danger")
        return _page(event, 422, upload=upload)
    confirm = ConfirmForm(formdata=None, csv=data.decode("utf-8-sig"))
    return _page(event, 200 if plan.ok else 422, plan=plan, confirm=confirm)


@bp.post("/<int:event_id>/import/run")
def run(event_id: int):
    """Register every row through the normal rules in one transaction, or none."""
    event = _event(event_id)
    confirm = ConfirmForm()
    if not confirm.validate_on_submit() or not confirm.csv.data:
        flash("The import expired; check the file again.", "danger")
        return redirect(url_for(".start", event_id=event.id), code=303)
    data = confirm.csv.data.encode()
    try:
        done = run_import(event, current_user, data)
    except (ImportError_, RegistrationError) as exc:
        db.session.rollback()
        flash(f"{exc} Nothing was imported.", "danger")
        return _page(event, 422)
    db.session.commit()
    flash(f"{len(done)} delegates registered.", "success")
    return redirect(url_for("organiser.registrations", event_id=event.id), code=303)


@bp.app_template_global()
def import_upload_limit() -> str:
    return f"{MAX_BYTES // 1_000_000} MB"
