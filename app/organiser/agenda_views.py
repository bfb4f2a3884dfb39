"""Organiser views: the agenda builder (grid per day, forms, drag and drop, publish)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.events.agenda_forms import SessionForm
from app.events.agenda_hours import hours_on
from app.events.agenda_publishing import agenda_versions, publish_agenda
from app.events.agenda_services import (
    KIND_LABELS,
    MAX_SPEAKERS,
    AgendaError,
    SessionData,
    cancel_session,
    create_session,
    describe_changes,
    draft_state,
    move_session,
    resize_session,
    restore_session,
    update_session,
)
from app.events.models import AgendaSession, Event, Room, SessionSpeaker, Speaker
from app.events.published import SCHEDULE_FIELDS, snapshot
from app.extensions import db
from app.formutil import options, prefill
from app.organiser import bp
from app.organiser.forms import StatusForm
from app.timeutil import to_local, to_utc

SLOT = 5  # minutes per grid row in the builder
DAY_START, DAY_END = time(8, 0), time(18, 0)


def _event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


def _session_or_404(event: Event, session_id: int) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404, "That session is not part of this event.")
    return session


def _event_days(event: Event) -> list[date]:
    tz = event.timezone
    first, last = to_local(event.starts_at, tz).date(), to_local(event.ends_at, tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


# --- the builder ----------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/agenda")
def agenda_builder(event_id: int):
    event = _event_or_404(event_id)
    tz = event.timezone
    days = _event_days(event)
    day_arg = request.args.get("day", "")
    if day_arg:
        try:
            day = date.fromisoformat(day_arg)
        except ValueError:
            abort(400, "The day must be a date like 2026-09-15.")
        if day not in days:
            abort(404, "That day is not part of the event.")
    else:
        day = days[0]
    sessions = (
        db.session.execute(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .options(selectinload(AgendaSession.speaker_links).selectinload(SessionSpeaker.speaker))
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        )
        .scalars()
        .all()
    )
    rooms = list(event.venue.rooms) if event.venue else []
    all_rooms = {r.id: r for r in db.session.execute(select(Room)).scalars()}
    states = {s.id: draft_state(s) for s in sessions}
    pending = [s for s in sessions if states[s.id] and not (
        states[s.id] == "new" and s.status == "cancelled")]  # fmt: skip
    changes = {s.id: describe_changes(s, all_rooms, tz) for s in pending}
    rescheduled = [
        s.id
        for s in pending
        if s.published_at is not None
        and any((s.published or {}).get(f) != snapshot(s)[f] for f in SCHEDULE_FIELDS)
    ]
    to_notify = 0
    if rescheduled:
        from app.registration.models import SessionBooking

        to_notify = db.session.execute(
            select(func.count(func.distinct(SessionBooking.user_id))).where(
                SessionBooking.session_id.in_(rescheduled), SessionBooking.status == "booked"
            )
        ).scalar_one()

    day_sessions = [s for s in sessions if to_local(s.starts_at, tz).date() == day]
    grid = _builder_grid(event, day, rooms, day_sessions)
    # The event's own hours on this day; slots outside them are shaded, drops there refused.
    hours = hours_on(event, day)
    return render_template(
        "organiser/agenda_builder.html",
        event=event,
        hours=hours,
        days=days,
        day=day,
        grid=grid,
        rooms=rooms,
        day_sessions=day_sessions,
        states=states,
        pending=pending,
        changes=changes,
        to_notify=to_notify,
        versions=agenda_versions(event)[:5],
        kinds=KIND_LABELS,
        form=StatusForm(),
    )


def _builder_grid(event: Event, day: date, rooms: list[Room], sessions: list[AgendaSession]):
    tz = event.timezone
    start = datetime.combine(day, DAY_START)
    end = datetime.combine(day, DAY_END)
    local = {s.id: (to_local(s.starts_at, tz), to_local(s.ends_at, tz)) for s in sessions}
    for s_local, e_local in local.values():
        start = min(start, s_local.replace(tzinfo=None))
        end = max(end, e_local.replace(tzinfo=None))
    start = start.replace(minute=0)  # whole hours at the top
    if end.date() > day:
        end = datetime.combine(day, time(23, 55))
    rows = max(1, int((end - start).total_seconds() // 60 // SLOT) + 1)
    rows += (-rows) % (60 // SLOT)  # whole hours
    columns = [(r.id, r.name) for r in rooms]
    has_roomless = any(s.room_id is None for s in sessions)
    columns.append((0, "No room (all)"))
    col_of = {room_id: n + 2 for n, (room_id, _) in enumerate(columns)}
    placed = []
    for s in sessions:
        s_local, e_local = (v.replace(tzinfo=None) for v in local[s.id])
        row = int((s_local - start).total_seconds() // 60 // SLOT) + 2
        span = max(1, round((e_local - s_local).total_seconds() / 60 / SLOT))
        row_end = min(row + span, rows + 2)
        placed.append(
            {
                "session": s,
                "row": row,
                "span": max(1, row_end - row),
                "col": col_of.get(s.room_id or 0, col_of[0]),
                "start": s_local,
                "end": e_local,
            }
        )
    slots = []
    for n in range(0, rows, 15 // SLOT):
        at = start + timedelta(minutes=n * SLOT)
        slots.append({"row": n + 2, "time": at.strftime("%H:%M"), "hour": at.minute == 0})
    return {
        "origin": start.strftime("%H:%M"),
        "rows": rows,
        "columns": columns,
        "has_roomless": has_roomless,
        "placed": placed,
        "slots": slots,
    }


# --- session forms --------------------------------------------------------------------------


def _session_form(event: Event, session: AgendaSession | None = None) -> SessionForm:
    form = SessionForm()
    rooms = list(event.venue.rooms) if event.venue else []
    form.room_id.choices = options([(r.id, r.name) for r in rooms] + [(0, "No room (all rooms)")])
    speakers = db.session.execute(select(Speaker).order_by(Speaker.name)).scalars().all()
    choices = options([(0, "—")] + [(s.id, f"{s.name} ({s.organisation})" if s.organisation
                                     else s.name) for s in speakers])  # fmt: skip
    for entry in form.speakers:
        entry.choices = choices
    if request.method == "GET":
        tz = event.timezone
        if session is not None:
            ids = [link.speaker_id for link in session.speaker_links]
            s_local, e_local = to_local(session.starts_at, tz), to_local(session.ends_at, tz)
            prefill(
                form,
                session,
                day=s_local.date(),
                starts=s_local.time(),
                ends=e_local.time(),
                room_id=session.room_id or 0,
                speakers=ids + [0] * (MAX_SPEAKERS - len(ids)),
            )
            for entry in form.speakers:
                entry.choices = choices
        else:
            _prefill(form, event)
    return form


def _prefill(form: SessionForm, event: Event) -> None:
    """A new session from a click on the grid: ?day=…&start=HH:MM&room_id=…"""
    days = _event_days(event)
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = days[0]
    form.day.data = day if day in days else days[0]
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", request.args.get("start", ""))
    starts = time(int(match[1]), int(match[2])) if match else time(9, 0)
    form.starts.data = starts
    form.ends.data = (datetime.combine(form.day.data, starts) + timedelta(minutes=45)).time()
    room_id = request.args.get("room_id", type=int)
    valid = {c.value for c in form.room_id.choices}
    form.room_id.data = room_id if room_id in valid else form.room_id.choices[0].value
    form.kind.data = "talk"


def _session_data(form: SessionForm, event: Event) -> SessionData:
    tz = event.timezone
    starts = to_utc(datetime.combine(form.day.data, form.starts.data), tz)
    ends = to_utc(datetime.combine(form.day.data, form.ends.data), tz)
    return SessionData(
        title=form.title.data or "",
        kind=form.kind.data,
        starts_at=starts,
        ends_at=ends,
        room_id=form.room_id.data or None,
        track=form.track.data or "",
        abstract=form.abstract.data or "",
        capacity=form.capacity.data,
        pillars=list(form.pillars.data or []),
        speaker_ids=[e.data for e in form.speakers if e.data],
    )


def _tracks(event: Event) -> list[str]:
    return sorted(
        t
        for t in db.session.execute(
            select(AgendaSession.track).where(AgendaSession.event_id == event.id).distinct()
        ).scalars()
        if t
    )


def _render_session_form(event, form, session=None, status=200):
    return (
        render_template(
            "organiser/agenda_session_form.html",
            event=event,
            form=form,
            session=session,
            tracks=_tracks(event),
            state=draft_state(session) if session is not None else None,
            status_form=StatusForm(),
        ),
        status,
    )


def _builder_url(event: Event, when: datetime | None = None) -> str:
    day = to_local(when, event.timezone).date().isoformat() if when else None
    return url_for("organiser.agenda_builder", event_id=event.id, day=day)


@bp.route("/events/<int:event_id>/agenda/sessions/new", methods=["GET", "POST"])
def new_session(event_id: int):
    event = _event_or_404(event_id)
    form = _session_form(event)
    if form.validate_on_submit():
        try:
            session = create_session(current_user, event, _session_data(form, event))
        except AgendaError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "danger")
            return _render_session_form(_event_or_404(event_id), form, status=400)
        db.session.commit()
        flash(f"“{session.title}” added to the draft agenda.", "success")
        return redirect(_builder_url(event, session.starts_at))
    return _render_session_form(event, form, status=400 if form.errors else 200)


@bp.route("/events/<int:event_id>/agenda/sessions/<int:session_id>", methods=["GET", "POST"])
def edit_session(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    form = _session_form(event, session)
    if form.validate_on_submit():
        try:
            update_session(current_user, session, _session_data(form, event))
        except AgendaError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "danger")
            event = _event_or_404(event_id)
            return _render_session_form(event, form, _session_or_404(event, session_id), 400)
        db.session.commit()
        flash(f"“{session.title}” saved in the draft agenda.", "success")
        return redirect(_builder_url(event, session.starts_at))
    return _render_session_form(event, form, session, status=400 if form.errors else 200)


@bp.post("/events/<int:event_id>/agenda/sessions/<int:session_id>/cancel")
def cancel_agenda_session(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    if request.form.get("confirm") != "yes":  # one click must not delete a session
        flash("Tick the box next to the button to confirm.", "warning")
        return redirect(url_for("organiser.edit_session", event_id=event.id, session_id=session.id))
    title, when = session.title, session.starts_at
    kept = cancel_session(current_user, session)
    db.session.commit()
    if kept is None:
        flash(f"“{title}” was never published, so it has been removed.", "info")
    else:
        flash(f"“{title}” is cancelled in the draft; publish to tell delegates.", "warning")
    return redirect(_builder_url(event, when))


@bp.post("/events/<int:event_id>/agenda/sessions/<int:session_id>/restore")
def restore_agenda_session(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    try:
        restore_session(current_user, session)
    except AgendaError as exc:
        db.session.rollback()
        flash(f"Not restored: {exc}", "danger")
        return redirect(_builder_url(event))
    db.session.commit()
    flash(f"“{session.title}” is back on the draft agenda.", "success")
    return redirect(_builder_url(event, session.starts_at))


# --- drag and drop (JSON) -------------------------------------------------------------------

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _json_error(message: str, status: int):
    return jsonify(error=message, message=message), status


def _local_time(value: object, day: date, event: Event) -> datetime | None:
    match = _HHMM.fullmatch(str(value or ""))
    if match is None:
        return None
    return to_utc(datetime.combine(day, time(int(match[1]), int(match[2]))), event.timezone)


def _payload() -> dict:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    return data if isinstance(data, dict) else {}


def _session_json(event: Event, session: AgendaSession) -> dict:
    tz = event.timezone
    return {
        "id": session.id,
        "title": session.title,
        "starts": to_local(session.starts_at, tz).strftime("%H:%M"),
        "ends": to_local(session.ends_at, tz).strftime("%H:%M"),
        "day": to_local(session.starts_at, tz).date().isoformat(),
        "room_id": session.room_id,
        "state": draft_state(session),
    }


def _drop_result(event: Event, session: AgendaSession, action, done: str, refused: str):
    """`done` and `refused` name the action in the messages ("moved", "was not moved")."""
    title = session.title
    try:
        action()
    except AgendaError as exc:
        db.session.rollback()
        if _wants_json():  # the builder's script adds the action to the reason it shows
            return _json_error(str(exc), 409)
        flash(f"“{title}” {refused}: {exc}", "danger")
        return redirect(_builder_url(event))
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True, session=_session_json(event, session))
    flash(f"“{title}” {done} in the draft agenda.", "success")
    return redirect(_builder_url(event, session.starts_at))


@bp.post("/events/<int:event_id>/agenda/sessions/<int:session_id>/move")
def move_agenda_session(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    data = _payload()
    try:
        day = date.fromisoformat(str(data.get("day", "")))
    except ValueError:
        return _json_error("The day must be a date like 2026-09-15.", 400)
    starts = _local_time(data.get("start"), day, event)
    if starts is None:
        return _json_error("The start must be a time like 10:15.", 400)
    raw_room = data.get("room_id")
    if raw_room in (None, "", 0, "0"):
        room_id = None
    else:
        try:
            room_id = int(raw_room)
        except (TypeError, ValueError):
            return _json_error("Unknown room.", 400)
    return _drop_result(
        event,
        session,
        lambda: move_session(current_user, session, starts, room_id),
        "moved",
        "was not moved",
    )


@bp.post("/events/<int:event_id>/agenda/sessions/<int:session_id>/resize")
def resize_agenda_session(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    data = _payload()
    day = to_local(session.starts_at, event.timezone).date()
    ends = _local_time(data.get("end"), day, event)
    if ends is None:
        return _json_error("The end must be a time like 11:30.", 400)
    return _drop_result(
        event,
        session,
        lambda: resize_session(current_user, session, ends),
        "resized",
        "was not lengthened or shortened",
    )


@bp.post("/events/<int:event_id>/agenda/publish")
def publish_event_agenda(event_id: int):
    event = _event_or_404(event_id)
    if not StatusForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    result = publish_agenda(current_user, event)
    db.session.commit()
    if not result.published:
        flash("Nothing to publish: the public agenda already matches the draft.", "info")
    else:
        note = f" Version {result.version.number}." if result.version else ""
        if result.notified:
            note += f" {result.notified} delegate(s) with bookings were emailed."
        if result.speakers_notified:
            note += f" {result.speakers_notified} speaker(s) were emailed."
        flash(f"Agenda published: {result.published} session(s) updated.{note}", "success")
    return redirect(url_for("organiser.agenda_builder", event_id=event.id,
                            day=request.form.get("day") or None))  # fmt: skip
