"""Organiser views for the door: door staff, live check-in counts, attendance report."""

from flask import flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.checkin.forms import ConfirmForm, DoorStaffForm
from app.checkin.reports import attendance, attendance_csv_rows, live_counts
from app.checkin.services import CheckinError, undo_checkin
from app.checkin.staff import (
    assign_door_staff,
    assignable_staff,
    door_staff_of,
    unassign_door_staff,
)
from app.csvexport import csv_response
from app.events.models import Event
from app.extensions import db
from app.organiser import bp
from app.timeutil import utcnow


def _event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


@bp.route("/events/<int:event_id>/door-staff", methods=["GET", "POST"])
def door_staff(event_id: int):
    event = _event_or_404(event_id)
    form = DoorStaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = assign_door_staff(event, current_user, form.email.data, form.name.data)
        except CheckinError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
            flash(f"{user.name} can now scan tickets at {event.title}.", "success")
            return redirect(url_for("organiser.door_staff", event_id=event.id))
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "organiser/door_staff.html",
            event=event,
            form=form,
            confirm=ConfirmForm(),
            staff=door_staff_of(event),
            available=assignable_staff(event),
        ),
        status,
    )


@bp.post("/events/<int:event_id>/door-staff/<int:user_id>/remove")
def door_staff_remove(event_id: int, user_id: int):
    event = _event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        flash("That form expired. Please try again.", "danger")
        return redirect(url_for("organiser.door_staff", event_id=event.id))
    try:
        user = unassign_door_staff(event, current_user, user_id)
    except CheckinError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{user.name} can no longer scan at {event.title}.", "success")
    return redirect(url_for("organiser.door_staff", event_id=event.id))


@bp.get("/events/<int:event_id>/checkin")
def checkin_live(event_id: int):
    event = _event_or_404(event_id)
    return render_template("organiser/checkin_live.html", event=event, counts=live_counts(event))


@bp.get("/events/<int:event_id>/checkin.json")
def checkin_live_data(event_id: int):
    event = _event_or_404(event_id)
    response = jsonify(live_counts(event).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<int:event_id>/attendance")
def attendance_report(event_id: int):
    event = _event_or_404(event_id)
    rows = attendance(event)
    return render_template(
        "organiser/attendance.html",
        event=event,
        rows=rows,
        attended=sum(1 for r in rows if r.attended),
        # Awaiting payment, the benchmark or the host: listed, but not among live check-in's
        # expected, which counts confirmed places.
        unconfirmed=sum(1 for r in rows if r.status != "confirmed"),
        over=event.ends_at < utcnow(),
        confirm=ConfirmForm(),
    )


@bp.get("/events/<int:event_id>/attendance.csv")
def attendance_csv(event_id: int):
    event = _event_or_404(event_id)
    rows = attendance_csv_rows(event, attendance(event))
    return csv_response(rows, f"attendance-{event.slug}.csv")


@bp.post("/events/<int:event_id>/checkins/<int:checkin_id>/undo")
def checkin_undo(event_id: int, checkin_id: int):
    event = _event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        flash("That form expired. Please try again.", "danger")
        return redirect(url_for("organiser.attendance_report", event_id=event.id))
    try:
        checkin = undo_checkin(event, current_user, checkin_id)
    except CheckinError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"Admission of {checkin.registration.user.name} undone.", "success")
    return redirect(url_for("organiser.attendance_report", event_id=event.id))
