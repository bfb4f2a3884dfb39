"""What organisers do to businesses: tick them as seen (they then count in peer figures),
correct a Companies House number, and merge two records of one business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import MembershipRequest, Organisation, User
from app.auth.models import MembershipStatus as M
from app.auth.services import AccountError, normalise_company_number
from app.extensions import db
from app.timeutil import utcnow


def _organiser(actor: User) -> None:
    if not actor.is_organiser:
        raise AccountError("Only organisers manage businesses.")


@dataclass(frozen=True)
class BusinessRow:
    organisation: Organisation
    members: int
    pending: int


def business_list() -> list[BusinessRow]:
    """Every business with its member and pending-request counts (1 query)."""
    members = (
        select(func.count(User.id))
        .where(User.organisation_id == Organisation.id, User.active)
        .scalar_subquery()
    )
    pending = (
        select(func.count(MembershipRequest.id))
        .where(
            MembershipRequest.organisation_id == Organisation.id,
            MembershipRequest.status == M.PENDING,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation, members, pending).order_by(func.lower(Organisation.name))
    ).all()
    return [BusinessRow(o, m, p) for o, m, p in rows]


def set_seen(actor: User, org: Organisation, seen: bool, now: datetime | None = None) -> None:
    _organiser(actor)
    org.verified_at = (now or utcnow()) if seen else None
    db.session.flush()


def set_company_number(actor: User, org: Organisation, number: str | None) -> None:
    _organiser(actor)
    number = normalise_company_number(number)
    if number:
        holder = db.session.execute(
            select(Organisation).where(
                Organisation.companies_house_number == number, Organisation.id != org.id
            )
        ).scalar_one_or_none()
        if holder is not None:
            raise AccountError(
                f"{holder.name} already has the number {number}: merge the two businesses "
                "if they are one, or correct the other's number first."
            )
    org.companies_house_number = number
    db.session.flush()


def merge_businesses(actor: User, source: Organisation, target: Organisation) -> int:
    """Fold `source` into `target`: every row that points at `source` (members, benchmarks,
    requests, outcome records…) points at `target`, and `source` goes. Returns how many rows
    moved. Raises AccountError, having changed nothing, when rows cannot move."""
    _organiser(actor)
    if source.id == target.id:
        raise AccountError("Choose another business to merge into.")
    moved = 0
    kept = {
        f: getattr(source, f)
        for f in ("companies_house_number", "sector", "size_band", "fte", "postcode",
                  "verified_domain", "verified_at")
    }  # fmt: skip
    source_id, target_id = source.id, target.id
    kept_names = (source.name, target.name)
    try:
        with db.session.begin_nested():
            for table in db.metadata.sorted_tables:
                for fk in table.foreign_keys:
                    if fk.column.table.name == "organisation" and fk.column.name == "id":
                        result = db.session.execute(
                            update(table)
                            .where(fk.parent == source_id)
                            .values({fk.parent.name: target_id})
                        )
                        moved += result.rowcount
            # Nothing loaded may still point at the old record when it is deleted.
            db.session.expire_all()
            db.session.delete(db.session.get(Organisation, source_id))
            db.session.flush()
            target = db.session.get(Organisation, target_id)
            for field, value in kept.items():
                if getattr(target, field) is None:
                    setattr(target, field, value)
            db.session.flush()
    except IntegrityError as exc:
        raise AccountError(
            f"{kept_names[0]} and {kept_names[1]} cannot be merged automatically: both hold "
            "records that must stay unique. Ask a developer."
        ) from exc
    # A member who had asked to join the other record is a member now.
    db.session.execute(
        update(MembershipRequest)
        .where(
            MembershipRequest.organisation_id == target_id,
            MembershipRequest.status == M.PENDING,
            MembershipRequest.user_id.in_(select(User.id).where(User.organisation_id == target_id)),
        )
        .values(status=M.WITHDRAWN, decided_at=utcnow(), decided_by_id=actor.id)
    )
    db.session.expire_all()
    return moved
