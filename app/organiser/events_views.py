"""Organiser views: events, venues, rooms and ticket types."""

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.models import Organisation
from app.events.duplicate import duplicate_event
from app.events.models import Event, EventStatus, TicketType, Venue
from app.events.publishing import publish_checklist
from app.events.services import (
    EventData,
    EventError,
    TicketTypeData,
    add_room,
    create_event,
    create_ticket_type,
    create_venue,
    set_event_status,
    update_event,
    update_ticket_type,
    update_venue,
)
from app.extensions import db
from app.formutil import options, prefill
from app.organiser import bp
from app.organiser.forms import (
    DuplicateEventForm,
    EventForm,
    RoomForm,
    StatusForm,
    TicketTypeForm,
    VenueForm,
)
from app.registration.models import ENDED, Registration
from app.timeutil import to_local, to_utc, utcnow


def _people(count: int) -> str:
    return "1 person was" if count == 1 else f"{count} people were"


def _event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id, description="No such event.")


def _local(value):
    return to_local(value).replace(tzinfo=None) if value else None


def _utc(value):
    return to_utc(value) if value else None


@bp.get("/")
def dashboard():
    """Coming events first (soonest at the top), then past ones; per event, how many are
    confirmed, waiting on the benchmark or payment, and on the waiting list. 2 queries."""
    events = db.session.execute(select(Event).order_by(Event.starts_at)).scalars().all()
    counts: dict[int, dict[str, int]] = {}
    for event_id, status, n in db.session.execute(
        select(Registration.event_id, Registration.status, func.count())
        .where(Registration.status.not_in(ENDED))
        .group_by(Registration.event_id, Registration.status)
    ):
        counts.setdefault(event_id, {})[status] = n
    now = utcnow()
    return render_template(
        "organiser/dashboard.html",
        coming=[e for e in events if e.ends_at >= now],
        past=[e for e in reversed(events) if e.ends_at < now],
        counts=counts,
    )


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=None)
    venues = db.session.execute(select(Venue).order_by(Venue.name)).scalars()
    form.venue_id.choices = options([(0, "— choose —")] + [(v.id, v.name) for v in venues])
    orgs = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars()
    form.host_organisation_id.choices = options([(0, "— none —")] + [(o.id, o.name) for o in orgs])
    if event is not None and request.method == "GET":
        prefill(
            form,
            event,
            starts_at=_local(event.starts_at),
            ends_at=_local(event.ends_at),
            registration_opens_at=_local(event.registration_opens_at),
            registration_closes_at=_local(event.registration_closes_at),
            venue_id=event.venue_id or 0,
            host_organisation_id=event.host_organisation_id or 0,
        )
    elif event is None and request.method == "GET":
        form.requires_benchmark.data = True
    return form


def _event_data(form: EventForm) -> EventData:
    return EventData(
        title=form.title.data.strip(),
        slug=form.slug.data or None,
        kind=form.kind.data,
        summary=(form.summary.data or "").strip(),
        description=form.description.data or "",
        venue_id=form.venue_id.data or None,
        starts_at=to_utc(form.starts_at.data),
        ends_at=to_utc(form.ends_at.data),
        capacity=form.capacity.data,
        registration_opens_at=_utc(form.registration_opens_at.data),
        registration_closes_at=_utc(form.registration_closes_at.data),
        requires_benchmark=form.requires_benchmark.data,
        pillars=list(form.pillars.data or []),
        host_organisation_id=form.host_organisation_id.data or None,
    )


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    form = _event_form()
    if form.validate_on_submit():
        try:
            event = create_event(current_user, _event_data(form))
        except EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(f"Draft event “{event.title}” created. Publish it when it is ready.", "success")
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 200 if request.method == "GET" else 422
    return render_template("organiser/event_form.html", form=form, event=None), status


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = _event_or_404(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        try:
            told = update_event(current_user, event, _event_data(form))
        except EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                f"Event saved. {_people(told)} emailed the new date, time and place, with an "
                "updated calendar entry."
                if told
                else "Event saved.",
                "success",
            )
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 200 if request.method == "GET" else 422
    people = _live_registrations(event.id) if event.status == EventStatus.PUBLISHED else 0
    return render_template(
        "organiser/event_form.html", form=form, event=event, people=people
    ), status


def _live_registrations(event_id: int) -> int:
    """People with a place, a hold or a waiting-list spot: those told when the event changes."""
    return db.session.execute(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status.not_in(ENDED))
    ).scalar_one()


@bp.get("/events/<int:event_id>/cancel")
def confirm_cancel_event(event_id: int):
    event = _event_or_404(event_id)
    if event.status == EventStatus.CANCELLED:
        flash(f"“{event.title}” is already cancelled.", "info")
        return redirect(url_for("organiser.event_overview", event_id=event.id))
    paid = db.session.execute(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status.not_in(ENDED),
            Registration.amount_paid_pence > 0,
        )
    ).scalar_one()
    return render_template(
        "organiser/event_cancel.html",
        event=event,
        people=_live_registrations(event.id) if event.status == EventStatus.PUBLISHED else 0,
        paid=paid,
        status_form=StatusForm(),
    )


@bp.get("/events/<int:event_id>")
def event_overview(event_id: int):
    event = _event_or_404(event_id)
    return render_template(
        "organiser/event_overview.html",
        event=event,
        status_form=StatusForm(),
        checklist=publish_checklist(event) if event.status == EventStatus.DRAFT else [],
    )


@bp.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
def duplicate(event_id: int):
    event = _event_or_404(event_id)
    form = DuplicateEventForm()
    if not form.is_submitted():
        form.title.data = f"{event.title} (copy)"
    if form.validate_on_submit():
        try:
            copy = duplicate_event(current_user, event, form.starts_on.data, form.title.data)
        except EventError as exc:
            db.session.rollback()
            form.starts_on.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"“{copy.title}” created as a draft, with its tickets and agenda.", "success")
            return redirect(url_for("organiser.event_overview", event_id=copy.id))
    status = 422 if form.is_submitted() else 200
    return render_template("organiser/duplicate.html", event=event, form=form), status


@bp.post("/events/<int:event_id>/status/<status>")
def change_event_status(event_id: int, status: str):
    event = _event_or_404(event_id)
    if not StatusForm().validate_on_submit():
        abort(400, "The form expired. Please try again.")
    try:
        told = set_event_status(current_user, event, status)
    except EventError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("organiser.event_overview", event_id=event.id)), 303
    db.session.commit()
    message = f"“{event.title}” is now {status}."
    if told:
        message += (
            f" {_people(told)} emailed. Refund paid tickets from the Revenue page; "
            "registrations are kept until you do."
        )
    flash(message, "success")
    return redirect(url_for("organiser.event_overview", event_id=event.id))


@bp.get("/venues")
def venues():
    rows = db.session.execute(select(Venue).order_by(Venue.name)).scalars().all()
    return render_template("organiser/venues.html", venues=rows)


@bp.route("/venues/new", methods=["GET", "POST"])
def new_venue():
    form = VenueForm()
    if form.validate_on_submit():
        venue = create_venue(current_user, form.name.data, form.address.data or "",
                             form.postcode.data)  # fmt: skip
        db.session.commit()
        flash("Venue added. Now add its rooms.", "success")
        return redirect(url_for("organiser.edit_venue", venue_id=venue.id))
    status = 200 if request.method == "GET" else 422
    return render_template("organiser/venue_form.html", form=form, venue=None), status


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
def edit_venue(venue_id: int):
    venue = db.get_or_404(Venue, venue_id, description="No such venue.")
    form = VenueForm(obj=venue)
    room_form = RoomForm(prefix="room")
    if form.validate_on_submit():
        update_venue(current_user, venue, form.name.data, form.address.data or "",
                     form.postcode.data)  # fmt: skip
        db.session.commit()
        flash("Venue saved.", "success")
        return redirect(url_for("organiser.edit_venue", venue_id=venue.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "organiser/venue_form.html", form=form, venue=venue, room_form=room_form
    ), status


@bp.post("/venues/<int:venue_id>/rooms")
def add_venue_room(venue_id: int):
    venue = db.get_or_404(Venue, venue_id, description="No such venue.")
    form = RoomForm(prefix="room")
    if form.validate_on_submit():
        try:
            add_room(current_user, venue, form.name.data, form.capacity.data)
        except EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("organiser.edit_venue", venue_id=venue.id)), 303
        db.session.commit()
        flash("Room added.", "success")
    else:
        flash("Give the room a name (and seats as a whole number).", "danger")
    return redirect(url_for("organiser.edit_venue", venue_id=venue.id))


def _ticket_data(form: TicketTypeForm) -> TicketTypeData:
    price = form.price.data or Decimal(0)
    return TicketTypeData(
        name=form.name.data.strip(),
        description=form.description.data or "",
        price_pence=int((price * 100).to_integral_value()),
        capacity=form.capacity.data,
        sales_start=_utc(form.sales_start.data),
        sales_end=_utc(form.sales_end.data),
        hidden=form.hidden.data,
    )


@bp.route("/events/<int:event_id>/tickets/new", methods=["GET", "POST"])
def new_ticket_type(event_id: int):
    event = _event_or_404(event_id)
    form = TicketTypeForm()
    if form.validate_on_submit():
        try:
            create_ticket_type(current_user, event, _ticket_data(form))
        except EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("Ticket type added.", "success")
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "organiser/ticket_type_form.html", form=form, event=event, ticket_type=None
    ), status


@bp.route("/events/<int:event_id>/tickets/<int:ticket_type_id>", methods=["GET", "POST"])
def edit_ticket_type(event_id: int, ticket_type_id: int):
    event = _event_or_404(event_id)
    ticket_type = db.get_or_404(TicketType, ticket_type_id)
    if ticket_type.event_id != event.id:
        abort(404, "That ticket type belongs to another event.")
    form = TicketTypeForm(obj=ticket_type)
    if request.method == "GET":
        form.price.data = Decimal(ticket_type.price_pence) / 100
        form.sales_start.data = _local(ticket_type.sales_start)
        form.sales_end.data = _local(ticket_type.sales_end)
    if form.validate_on_submit():
        try:
            update_ticket_type(current_user, ticket_type, _ticket_data(form))
        except EventError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("Ticket type saved.", "success")
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "organiser/ticket_type_form.html", form=form, event=event, ticket_type=ticket_type
    ), status
