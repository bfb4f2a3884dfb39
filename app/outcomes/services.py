"""Programmes, targets and networks (organisers); declarations and outcome claims (a
business's own members, or an organiser on its behalf); reviewing claims (organisers).

Every function takes the acting user, raises OutcomesError (bad input, 400) or
OutcomesForbidden (403), flushes and never commits. Changes to declarations and claims
are written to OutcomeAudit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.auth.membership import can_manage
from app.auth.models import Organisation, Role, User
from app.events.models import Event
from app.extensions import db
from app.outcomes.models import (
    BUILT_IN_INDICATORS,
    ClaimKind,
    ClaimStatus,
    Declaration,
    EventNetwork,
    Indicator,
    Network,
    OutcomeAudit,
    OutcomeClaim,
    Programme,
)
from app.timeutil import utcnow

HEADCOUNT_BANDS = {
    "0-9": "Fewer than 10",
    "10-49": "10 to 49",
    "50-249": "50 to 249",
    "250+": "250 or more",
}
TURNOVER_BANDS = {
    "under-2m": "Under £2 million",
    "2m-10m": "£2 million to £10 million",
    "10m-50m": "£10 million to £50 million",
    "over-50m": "Over £50 million",
}
NOVELTY = {"new_to_firm": "New to the firm", "new_to_market": "New to the market"}
PARTNER_KINDS = {
    "business": "Another business",
    "university": "A university",
    "college": "A college",
}
RESEARCH_PARTNERS = ("university", "college")
MAX_TARGET = Decimal("1000000")
MAX_FTE = Decimal("1000")


class OutcomesError(ValueError):
    """Input the rules refuse (HTTP 400)."""


class OutcomesForbidden(OutcomesError):
    """The actor may not do this (HTTP 403)."""


# ---------------------------------------------------------------- who may act


def business_of(actor: User) -> Organisation | None:
    """The business a signed-in delegate is an approved member of (`organisation_id` is set
    only on approval; a pending request grants nothing). Door staff speak for none."""
    if actor.role != Role.DELEGATE or actor.organisation_id is None:
        return None
    return actor.organisation


def check_can_act_for(actor: User, organisation: Organisation) -> None:
    if actor.is_organiser:
        return
    own = business_of(actor)
    if own is None or own.id != organisation.id:
        raise OutcomesForbidden("Only the business's own members or an organiser can do this.")


def check_can_sign_for(actor: User, organisation: Organisation) -> None:
    """Declarations are signed by one of the business's admins, or an organiser for it."""
    check_can_act_for(actor, organisation)
    if not can_manage(actor, organisation):
        raise OutcomesForbidden(
            "One of the business's admins signs its declaration (or an organiser for it)."
        )


def admins_of(organisation: Organisation) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .where(
                User.organisation_id == organisation.id,
                User.is_business_admin.is_(True),
                User.active.is_(True),
            )
            .order_by(User.name)
        ).scalars()
    )


def _organiser_only(actor: User) -> None:
    if not actor.is_organiser:
        raise OutcomesForbidden("Only organisers can do this.")


def audit(programme_id: int, organisation_id: int, actor: User, action: str, detail: str = "",
           claim_id: int | None = None) -> None:  # fmt: skip
    db.session.add(
        OutcomeAudit(
            programme_id=programme_id,
            organisation_id=organisation_id,
            claim_id=claim_id,
            action=action,
            detail=detail,
            actor_id=actor.id,
        )  # fmt: skip
    )


# ---------------------------------------------------------------- programmes and targets


def current_programme() -> Programme | None:
    """The programme reports are about: the one that started last."""
    return db.session.execute(
        select(Programme).order_by(Programme.starts_on.desc(), Programme.id.desc()).limit(1)
    ).scalar_one_or_none()


def _check_target(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        target = Decimal(str(value))
    except ArithmeticError as exc:
        raise OutcomesError("Targets are numbers.") from exc
    if not target.is_finite() or target < 0 or target > MAX_TARGET:
        raise OutcomesError("A target is a number from 0 to 1,000,000.")
    return target


@dataclass
class ProgrammeData:
    name: str
    funder: str
    starts_on: date
    ends_on: date
    threshold_hours: Decimal
    mfa_limit_gbp: int


def _check_programme(data: ProgrammeData) -> None:
    if not data.name.strip():
        raise OutcomesError("Give the programme a name.")
    if data.ends_on <= data.starts_on:
        raise OutcomesError("The programme must end after it starts.")
    if not (0 < data.threshold_hours <= 1000):
        raise OutcomesError("The hours threshold is between 0 and 1,000 hours.")
    if not (0 <= data.mfa_limit_gbp <= 100_000_000):
        raise OutcomesError("The subsidy limit is a sum in pounds up to £100 million.")


def save_programme(
    actor: User, data: ProgrammeData, targets: dict[str, object], programme: Programme | None = None
) -> Programme:
    """Create a programme with the built-in indicators, or update one; `targets` maps
    indicator keys to targets (blank: no target)."""
    _organiser_only(actor)
    _check_programme(data)
    checked = {key: _check_target(value) for key, value in targets.items()}
    if programme is None:
        programme = Programme()
        programme.indicators = [
            Indicator(key=key, title=title, built_in=True, position=i)
            for i, (key, title) in enumerate(BUILT_IN_INDICATORS)
        ]
        db.session.add(programme)
    programme.name = data.name.strip()
    programme.funder = data.funder.strip()
    programme.starts_on, programme.ends_on = data.starts_on, data.ends_on
    programme.threshold_hours = data.threshold_hours
    programme.mfa_limit_gbp = data.mfa_limit_gbp
    for indicator in programme.indicators:
        if indicator.key in checked:
            indicator.target = checked[indicator.key]
    db.session.flush()
    return programme


def add_indicator(actor: User, programme: Programme, title: str, target) -> Indicator:
    """An organiser's own counted indicator; businesses claim toward it by count."""
    _organiser_only(actor)
    title = title.strip()
    if not title:
        raise OutcomesError("Give the indicator a name.")
    if any(i.title.lower() == title.lower() for i in programme.indicators):
        raise OutcomesError("The programme already has an indicator with that name.")
    position = max((i.position for i in programme.indicators), default=-1) + 1
    indicator = Indicator(
        programme=programme, key=f"custom-{position}", title=title,
        target=_check_target(target), position=position,
    )  # fmt: skip
    db.session.add(indicator)
    db.session.flush()
    return indicator


# ---------------------------------------------------------------- networks


def networks() -> list[Network]:
    return list(db.session.execute(select(Network).order_by(Network.name)).scalars())


def create_network(actor: User, name: str) -> Network:
    _organiser_only(actor)
    name = name.strip()
    if not name:
        raise OutcomesError("Give the network a name.")
    taken = db.session.execute(
        select(Network.id).where(func.lower(Network.name) == name.lower())
    ).first()
    if taken is not None:
        raise OutcomesError("There is already a network with that name.")
    network = Network(name=name)
    db.session.add(network)
    db.session.flush()
    return network


def event_networks() -> dict[int, int]:
    """event id -> network id."""
    return dict(db.session.execute(select(EventNetwork.event_id, EventNetwork.network_id)).all())


def set_event_network(actor: User, event: Event, network_id: int | None) -> None:
    _organiser_only(actor)
    link = db.session.get(EventNetwork, event.id)
    if network_id is None:
        if link is not None:
            db.session.delete(link)
    else:
        if db.session.get(Network, network_id) is None:
            raise OutcomesError("No such network.")
        if link is None:
            db.session.add(EventNetwork(event_id=event.id, network_id=network_id))
        else:
            link.network_id = network_id
    db.session.flush()


# ---------------------------------------------------------------- declarations


def declarations_of(programme: Programme, organisation: Organisation) -> list[Declaration]:
    """Every signed version, newest first."""
    return list(
        db.session.execute(
            select(Declaration)
            .where(
                Declaration.programme_id == programme.id,
                Declaration.organisation_id == organisation.id,
            )
            .order_by(Declaration.version.desc())
        ).scalars()
    )


def sign_declaration(
    actor: User,
    programme: Programme,
    organisation: Organisation,
    *,
    headcount_band: str,
    turnover_band: str,
    subsidies_gbp: int,
    consent_to_name: bool,
    signed_name: str,
    signed_on: date,
) -> Declaration:
    """A new signed version of the business's declarations (the old ones stay as they were)."""
    check_can_sign_for(actor, organisation)
    if headcount_band not in HEADCOUNT_BANDS:
        raise OutcomesError("Choose a headcount band.")
    if turnover_band not in TURNOVER_BANDS:
        raise OutcomesError("Choose a turnover band.")
    if not (0 <= subsidies_gbp <= 1_000_000_000):
        raise OutcomesError("Subsidies received are a sum in pounds, 0 or more.")
    signed_name = signed_name.strip()
    if len(signed_name) < 2:
        raise OutcomesError("Sign by typing your full name.")
    if signed_on > programme.ends_on or signed_on.year < 2000:
        raise OutcomesError("The date signed must be a real date within the programme.")
    latest = db.session.execute(
        select(func.max(Declaration.version)).where(
            Declaration.programme_id == programme.id,
            Declaration.organisation_id == organisation.id,
        )
    ).scalar()
    declaration = Declaration(
        programme_id=programme.id, organisation_id=organisation.id, version=(latest or 0) + 1,
        headcount_band=headcount_band, turnover_band=turnover_band, subsidies_gbp=subsidies_gbp,
        consent_to_name=consent_to_name, signed_name=signed_name, signed_on=signed_on,
        signed_by_id=actor.id,
    )  # fmt: skip
    db.session.add(declaration)
    db.session.flush()
    on_behalf = " (by an organiser on the business's behalf)" if actor.is_organiser else ""
    audit(programme.id, organisation.id, actor, "declaration_signed",
           f"version {declaration.version}, signed as {signed_name}{on_behalf}")  # fmt: skip
    db.session.flush()
    return declaration


def is_sme(declaration: Declaration) -> bool:
    """Fewer than 250 people and turnover up to €50m (shown here as under £50m)."""
    return declaration.headcount_band != "250+" and declaration.turnover_band != "over-50m"


# ---------------------------------------------------------------- claims


@dataclass
class ClaimData:
    kind: str
    description: str
    occurred_on: date
    title: str = ""
    detail: str = ""
    quantity: Decimal = Decimal(1)
    indicator_id: int | None = None


def _check_claim(programme: Programme, data: ClaimData) -> None:
    if data.kind not in set(ClaimKind):
        raise OutcomesError("Choose what kind of outcome this is.")
    if not data.description.strip():
        raise OutcomesError("Describe the outcome.")
    if not (programme.starts_on <= data.occurred_on <= programme.ends_on):
        raise OutcomesError(
            f"The date must fall within the programme ({programme.starts_on:%d %b %Y} to "
            f"{programme.ends_on:%d %b %Y})."
        )
    if data.kind == ClaimKind.JOBS:
        if not data.title.strip():
            raise OutcomesError("Name the role created.")
        if not (0 < data.quantity <= MAX_FTE):
            raise OutcomesError("Jobs are counted in full-time equivalents, more than 0.")
    elif data.kind == ClaimKind.PRODUCT:
        if not data.title.strip():
            raise OutcomesError("Name the product, process or service.")
        if data.detail not in NOVELTY:
            raise OutcomesError("Say whether it is new to the firm or new to the market.")
    elif data.kind == ClaimKind.COLLABORATION:
        if not data.title.strip():
            raise OutcomesError("Name the partner.")
        if data.detail not in PARTNER_KINDS:
            raise OutcomesError("Say whether the partner is a business, a university or a college.")
    elif data.kind == ClaimKind.CUSTOM:
        indicator = next((i for i in programme.indicators if i.id == data.indicator_id), None)
        if indicator is None or indicator.built_in:
            raise OutcomesError("Choose one of the programme's own indicators.")
        if data.quantity != data.quantity.to_integral_value() or not (0 < data.quantity <= 10_000):
            raise OutcomesError("A count is a whole number, 1 or more.")


def record_claim(
    actor: User, programme: Programme, organisation: Organisation, data: ClaimData
) -> OutcomeClaim:
    """A new outcome claim, starting as claimed."""
    check_can_act_for(actor, organisation)
    _check_claim(programme, data)
    counted = data.kind in (ClaimKind.JOBS, ClaimKind.CUSTOM)
    claim = OutcomeClaim(
        programme_id=programme.id,
        organisation_id=organisation.id,
        kind=data.kind,
        indicator_id=data.indicator_id if data.kind == ClaimKind.CUSTOM else None,
        description=data.description.strip(),
        quantity=data.quantity if counted else Decimal(1),
        title=data.title.strip(),
        detail=data.detail if data.kind in (ClaimKind.PRODUCT, ClaimKind.COLLABORATION) else "",
        occurred_on=data.occurred_on,
        status=ClaimStatus.CLAIMED,
        created_by_id=actor.id,
    )
    db.session.add(claim)
    db.session.flush()
    audit(programme.id, organisation.id, actor, "claim_recorded",
           f"{data.kind}: {claim.title or claim.description[:80]}", claim.id)  # fmt: skip
    db.session.flush()
    return claim


def claim_for(actor: User, claim_id: int) -> OutcomeClaim:
    """A claim the actor may see; absent and not-yours both answer 'no such claim'."""
    claim = db.session.get(OutcomeClaim, claim_id)
    if claim is None:
        raise LookupError("No such claim.")
    try:
        check_can_act_for(actor, db.session.get(Organisation, claim.organisation_id))
    except OutcomesForbidden as exc:
        raise LookupError("No such claim.") from exc
    return claim


def review_claim(
    actor: User, claim: OutcomeClaim, decision: str, note: str, now: datetime | None = None
) -> OutcomeClaim:
    """Verify or reject a claimed outcome, with a note. Once only: a conditional UPDATE,
    so two organisers deciding at once cannot both win."""
    _organiser_only(actor)
    if decision not in (ClaimStatus.VERIFIED, ClaimStatus.REJECTED):
        raise OutcomesError("Verify or reject the claim.")
    note = note.strip()
    if decision == ClaimStatus.REJECTED and not note:
        raise OutcomesError("Say why the claim is rejected: the business will see the note.")
    now = now or utcnow()
    done = db.session.execute(
        update(OutcomeClaim)
        .where(OutcomeClaim.id == claim.id, OutcomeClaim.status == ClaimStatus.CLAIMED)
        .values(status=decision, review_note=note, reviewed_by_id=actor.id, reviewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise OutcomesError("This claim has already been reviewed.")
    audit(claim.programme_id, claim.organisation_id, actor, f"claim_{decision}", note, claim.id)
    db.session.flush()
    db.session.refresh(claim)
    return claim


def claims_of(programme: Programme, organisation: Organisation) -> list[OutcomeClaim]:
    """The business's claims, newest first, with their evidence files listed (not loaded)
    and custom indicators: two queries however many."""
    return list(
        db.session.execute(
            select(OutcomeClaim)
            .options(selectinload(OutcomeClaim.evidence), joinedload(OutcomeClaim.indicator))
            .where(
                OutcomeClaim.programme_id == programme.id,
                OutcomeClaim.organisation_id == organisation.id,
            )
            .order_by(OutcomeClaim.occurred_on.desc(), OutcomeClaim.id.desc())
        ).scalars()
    )


def audit_of(programme: Programme, organisation: Organisation) -> list[OutcomeAudit]:
    return list(
        db.session.execute(
            select(OutcomeAudit)
            .options(joinedload(OutcomeAudit.actor))
            .where(
                OutcomeAudit.programme_id == programme.id,
                OutcomeAudit.organisation_id == organisation.id,
            )
            .order_by(OutcomeAudit.created_at.desc(), OutcomeAudit.id.desc())
        ).scalars()
    )
