"""The host-approval gate the registration rules ask about, and who hosts, for the door
(models only: no import cycle)."""

from __future__ import annotations

from sqlalchemy import select

from app.events.models import EventKind
from app.extensions import db
from app.hosts.models import HostDecision, HostMember, VisitSettings


def hosted_organisation_id(user) -> int | None:
    """The business `user` hosts visits for: marked as a host and still an approved member."""
    if not user.is_authenticated or user.organisation_id is None:
        return None
    row = db.session.get(HostMember, user.id)
    if row is None or row.organisation_id != user.organisation_id:
        return None
    return row.organisation_id


def hosts_visits(user) -> bool:
    """Whether `user` hosts site visits: as read with their sign-in, else asked now."""
    known = getattr(user, "hosts_visits", None)
    return known if known is not None else hosted_organisation_id(user) is not None


def requires_approval(event_id: int) -> bool:
    settings = db.session.get(VisitSettings, event_id)
    return bool(settings and settings.requires_approval)


def awaits_host(registration) -> bool:
    """True while a registration for a visit that needs approval has not been approved.
    Only site visits have hosts (can_host): other events answer without a query."""
    if registration.event.kind != EventKind.SITE_VISIT:
        return False
    if not requires_approval(registration.event_id):
        return False
    approved = db.session.execute(
        select(HostDecision.registration_id).where(
            HostDecision.registration_id == registration.id, HostDecision.decision == "approved"
        )
    ).first()
    return approved is None
