"""The scan API's event: the columns a scan reads, checked as event_for_staff checks them."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select

from app.auth.models import User
from app.checkin.errors import CheckinForbidden, CheckinNotFound
from app.checkin.models import EventStaff
from app.checkin.services import hosts_visit
from app.events.models import Event
from app.extensions import db

# The scan API's event: only the columns a scan reads, as a Core row (an ORM Event costs
# more to build than the query to run). Same checks as event_for_staff.
EVENT_COLUMNS = (Event.id, Event.status, Event.timezone, Event.kind, Event.host_organisation_id)
ASSIGNED = (
    exists()
    .where(EventStaff.event_id == Event.id, EventStaff.user_id == bindparam("user_id"))
    .label("assigned")
)
_SCAN_EVENT_BY_SLUG = select(*EVENT_COLUMNS).where(Event.slug == bindparam("slug"))
_SCAN_EVENT_FOR_STAFF = select(*EVENT_COLUMNS, ASSIGNED).where(Event.slug == bindparam("slug"))


def scan_event_for_staff(slug: str, actor: User):
    """event_for_staff for a scan: a row with the event's id, status, timezone, kind and
    host_organisation_id, enough for `redeem_ticket`. One query."""
    run = db.session.connection().execute  # Core: the ORM session's layer adds only time
    if actor.is_organiser:
        event = run(_SCAN_EVENT_BY_SLUG, {"slug": slug}).first()
        check_scan_access(actor, event, assigned=False)
    else:
        event = run(_SCAN_EVENT_FOR_STAFF, {"slug": slug, "user_id": actor.id}).first()
        check_scan_access(actor, event, assigned=event is not None and bool(event.assigned))
    return event


def check_scan_access(actor, event, assigned: bool) -> None:
    """404 for no `event`; 403 unless the actor organises, is door staff `assigned` to it, or
    hosts it (a site visit)."""
    if event is None:
        raise CheckinNotFound("No such event.")
    allowed = actor.is_organiser or (assigned and actor.has_role("door_staff", "organiser"))
    if not allowed and not hosts_visit(actor, event):
        raise CheckinForbidden("You are not door staff for this event.")
