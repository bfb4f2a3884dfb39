"""Name badges: who gets one, and what is printed on it."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration
from app.registration.models import RegistrationStatus as S
from app.registration.qr import qr_svg


@dataclass(frozen=True)
class Badge:
    name: str
    job_title: str
    organisation: str
    ticket_type: str
    qr: Markup  # the ticket's code, so a badge can be scanned at workshop doors


def badges(event: Event, ticket_type_id: int | None = None) -> list[Badge]:
    """A badge for every delegate with a ticket (confirmed), by surname (1 query)."""
    query = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == S.CONFIRMED,
            Registration.ticket_secret.is_not(None),
        )
        .options(
            joinedload(Registration.user).joinedload(User.organisation),
            joinedload(Registration.ticket_type),
        )
    )
    if ticket_type_id is not None:
        query = query.where(Registration.ticket_type_id == ticket_type_id)
    rows = sorted(db.session.execute(query).scalars(), key=lambda r: _sort_key(r.user.name))
    return [
        Badge(
            name=r.user.name,
            job_title=r.user.job_title or "",
            organisation=r.user.organisation.name if r.user.organisation else "",
            ticket_type=r.ticket_type.name,
            qr=Markup(qr_svg(r.ticket_secret)),  # noqa: S704 - built by qrcode, no user text
        )
        for r in rows
    ]


def _sort_key(name: str) -> tuple[str, str]:
    """Surname first, as badge tables at the door are laid out."""
    parts = name.split()
    return (parts[-1].lower() if parts else "", name.lower())
