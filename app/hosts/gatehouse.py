"""The gatehouse list: who is coming to a visit, for the host's site security."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.hosts.brief import acceptances_for, brief_for
from app.questions.services import access_needs_of
from app.registration.models import Registration, RegistrationStatus
from app.registration.services import status_label

S = RegistrationStatus
# Approved visitors: confirmed, or still paying or benchmarking after the host's yes. Those
# awaiting the host are not on the gate's list until approved.
COMING = (S.CONFIRMED, S.PENDING_PAYMENT, S.PENDING_BENCHMARK)


@dataclass
class Visitor:
    name: str
    business: str
    job_title: str
    vehicle_registration: str
    access_needs: str
    status: str


def visitors(event: Event) -> list[Visitor]:
    """Everyone approved to come, by name (4 queries). Access needs are the answer to the
    event's access-needs question, given to the host because its site must provide for them."""
    rows = list(
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(COMING))
            .options(selectinload(Registration.user).selectinload(User.organisation))
        ).scalars()
    )
    ids = [r.id for r in rows]
    needs = access_needs_of(ids)
    accepted = acceptances_for(ids)
    out = [
        Visitor(
            name=r.user.name,
            business=r.user.organisation.name if r.user.organisation else "",
            job_title=r.user.job_title or "",
            vehicle_registration=accepted[r.id].vehicle_registration if r.id in accepted else "",
            access_needs=needs.get(r.id, ""),
            status=status_label(r.status),
        )
        for r in rows
    ]
    return sorted(out, key=lambda v: (v.name.casefold(), v.business.casefold()))


def asks_vehicle(event: Event) -> bool:
    brief = brief_for(event.id)
    return bool(brief and brief.asks_vehicle)


def csv_rows(event: Event) -> list[list[str]]:
    vehicle = asks_vehicle(event)
    header = ["Name", "Business", "Job title"]
    header += ["Vehicle registration"] if vehicle else []
    header += ["Access needs", "Status"]
    rows: list[list[str]] = [header]
    for v in visitors(event):
        row = [v.name, v.business, v.job_title]
        row += [v.vehicle_registration] if vehicle else []
        rows.append([*row, v.access_needs, v.status])
    return rows
