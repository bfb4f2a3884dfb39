"""Hosts' rules: who hosts which visit, and the host's decision on each applicant.

Every function takes the acting user; a decision flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import Organisation, User
from app.benchmark.services import latest_valid_bands
from app.events.models import Event, EventKind
from app.extensions import db
from app.hosts.gate import hosted_organisation_id
from app.hosts.models import HostDecision, HostMember, VisitSettings
from app.registration import services as registrations
from app.registration.models import Registration, RegistrationStatus
from app.registration.seats import advance, claim_status, log_action
from app.timeutil import utcnow

S = RegistrationStatus


class HostError(ValueError):
    """A host action the rules refuse; the message is for the person who tried."""


def is_host(user: User) -> bool:
    return hosted_organisation_id(user) is not None


def can_host(user: User, event: Event) -> bool:
    """Organisers act as any host; a host only for its own business's visits."""
    if event.kind != EventKind.SITE_VISIT:
        return False
    if user.is_organiser:
        return True
    org_id = hosted_organisation_id(user)
    return org_id is not None and org_id == event.host_organisation_id


def visits_for(user: User) -> list[Event]:
    """The site visits `user` hosts, soonest first (every visit for an organiser)."""
    query = select(Event).where(Event.kind == EventKind.SITE_VISIT).order_by(Event.starts_at)
    if not user.is_organiser:
        query = query.where(Event.host_organisation_id == hosted_organisation_id(user))
    return list(db.session.execute(query.options(selectinload(Event.venue))).scalars())


def settings_for(event_id: int) -> VisitSettings:
    return db.session.get(VisitSettings, event_id) or VisitSettings(
        event_id=event_id, requires_approval=False, excluded_businesses="", excluded_sectors=""
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def exclusion_flag(settings: VisitSettings, organisation: Organisation | None) -> str | None:
    """Why an applicant's business matches the host's exclusions, or None. Flagged only: the
    host decides."""
    if organisation is None:
        return None
    names = {n.casefold() for n in _lines(settings.excluded_businesses)}
    if organisation.name.casefold() in names:
        return "business on your excluded list"
    sectors = {s.split()[0] for s in _lines(settings.excluded_sectors)}
    if organisation.sector and organisation.sector in sectors:
        return f"sector {organisation.sector} on your excluded list"
    return None


def update_settings(
    actor: User,
    event: Event,
    *,
    requires_approval: bool,
    excluded_businesses: str,
    excluded_sectors: str,
) -> VisitSettings:
    _check(actor, event)
    settings = db.session.get(VisitSettings, event.id)
    if settings is None:
        settings = VisitSettings(event_id=event.id)
        db.session.add(settings)
    for sector in _lines(excluded_sectors):
        code = sector.split()[0]
        if not (code.isdigit() and len(code) == 2):
            raise HostError(f"{sector!r} is not a SIC division: give two digits, e.g. 25.")
    settings.requires_approval = requires_approval
    settings.excluded_businesses = excluded_businesses.strip()[:5000]
    settings.excluded_sectors = excluded_sectors.strip()[:1000]
    db.session.flush()
    return settings


def mark_host(actor: User, member: User, hosting: bool) -> None:
    """An organiser marks (or unmarks) an approved member of a business as one of its hosts."""
    if not actor.is_organiser:
        raise HostError("Only organisers choose who hosts.")
    if member.organisation_id is None:
        raise HostError(f"{member.name} is not an approved member of a business.")
    row = db.session.get(HostMember, member.id)
    if hosting and row is None:
        db.session.add(
            HostMember(
                user_id=member.id, organisation_id=member.organisation_id, marked_by_id=actor.id
            )
        )
    elif hosting and row is not None:
        row.organisation_id = member.organisation_id
    elif row is not None:
        db.session.delete(row)
    db.session.flush()


def _check(actor: User, event: Event) -> None:
    if not can_host(actor, event):
        raise HostError("You do not host this visit.")


@dataclass
class Applicant:
    registration: Registration
    decision: HostDecision | None
    flag: str | None
    band: str | None = None  # the business's benchmark band, only if it agreed to share it


def applicants(event: Event, now: datetime | None = None) -> list[Applicant]:
    """Everyone who applied, live first, with the host's decision, any exclusion flag and the
    band of each business that shares it, in a fixed number of queries."""
    rows = list(
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id)
            .options(
                selectinload(Registration.user).selectinload(User.organisation),
                selectinload(Registration.ticket_type),
            )
            .order_by(Registration.created_at, Registration.id)
        ).scalars()
    )
    decisions = {
        d.registration_id: d
        for d in db.session.execute(
            select(HostDecision).where(HostDecision.registration_id.in_([r.id for r in rows]))
        ).scalars()
    }
    settings = settings_for(event.id)
    sharing = {o.id for r in rows if (o := r.user.organisation) is not None and o.shares_band}
    bands = latest_valid_bands(sharing, now)
    order = {S.AWAITING_HOST: 0, S.CONFIRMED: 1, S.PENDING_PAYMENT: 1, S.PENDING_BENCHMARK: 1}
    result = [
        Applicant(
            r,
            decisions.get(r.id),
            exclusion_flag(settings, r.user.organisation),
            bands.get(r.user.organisation_id),
        )
        for r in rows
    ]
    return sorted(result, key=lambda a: order.get(a.registration.status, 2))


def _decide(actor: User, registration: Registration, decision: str, reason: str, now) -> None:
    _check(actor, registration.event)
    if registration.status != S.AWAITING_HOST:
        raise HostError(
            f"{registration.user.name}'s application is no longer waiting "
            f"({registrations.status_label(registration.status)})."
        )
    db.session.add(
        HostDecision(
            registration_id=registration.id,
            decision=decision,
            reason=reason.strip()[:2000],
            decided_by_id=actor.id,
            decided_at=now,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise HostError("Someone has just decided on this application.") from None


def approve_visitor(
    actor: User, registration: Registration, now: datetime | None = None
) -> Registration:
    """Approval moves the registration on through its other gates (payment, benchmark); when
    none is left it is confirmed and the ticket emailed."""
    now = now or utcnow()
    _decide(actor, registration, "approved", "", now)
    if not claim_status(registration, [S.AWAITING_HOST], status=S.PENDING_PAYMENT):
        raise HostError("This application was withdrawn a moment ago.")
    log_action(registration, "host_approved", actor)
    advance(registration, actor, now)
    return registration


def decline_visitor(
    actor: User, registration: Registration, reason: str = "", now: datetime | None = None
) -> Registration:
    """A decline frees the seat for the waiting list; the delegate gets a courteous email
    without the reason, which only organisers see (in the decision and the registration log)."""
    now = now or utcnow()
    _decide(actor, registration, "declined", reason, now)
    detail = "declined by the host" + (f": {reason.strip()[:500]}" if reason.strip() else "")
    registrations.release_registration(
        registration, actor, reason=detail, now=now, email_kind="host_declined"
    )
    if registration.cancelled_by_id != actor.id:
        raise HostError("This application was withdrawn a moment ago.")
    return registration


def decision_for(registration_id: int) -> HostDecision | None:
    return db.session.get(HostDecision, registration_id)


def awaiting_counts(event_ids: list[int]) -> dict[int, int]:
    """How many applications wait for the host, per visit (one query)."""
    if not event_ids:
        return {}
    return dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(Registration.event_id.in_(event_ids), Registration.status == S.AWAITING_HOST)
            .group_by(Registration.event_id)
        ).all()
    )
