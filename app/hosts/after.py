"""After the visit, for its host: what visitors thought (anonymous, and only once enough have
answered that no one can be picked out) and how many visitors' businesses later recorded
outcomes that mention the visit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Text, distinct, func, or_, select

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.feedback.services import summary as feedback_summary
from app.outcomes.models import ClaimStatus, OutcomeClaim
from app.registration.models import Registration, RegistrationStatus

MIN_ANSWERS = 5  # fewer, and a host could tell who said what
_SUFFIX = re.compile(r"\s+(ltd\.?|limited|plc|llp)$", re.IGNORECASE)


@dataclass
class HostFeedback:
    responses: int
    average: float | None = None
    ratings: dict[int, int] = field(default_factory=dict)
    recommend_share: float | None = None
    pillars: list[tuple[str, int]] = field(default_factory=list)
    # Free text without names or dates, in alphabetical order so the order gives nothing away.
    remarks: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.responses >= MIN_ANSWERS


def host_feedback(event: Event) -> HostFeedback:
    full = feedback_summary(event)
    result = HostFeedback(responses=full.responses)
    if not result.shown:
        return result  # nothing else leaves this function
    result.average = full.average
    result.ratings = full.ratings
    result.recommend_share = full.recommend_share
    result.pillars = full.pillars
    texts = [t.strip() for f in full.entries for t in (f.actions, f.comments) if t and t.strip()]
    result.remarks = sorted(texts, key=str.casefold)
    return result


def mention_terms(event: Event) -> list[str]:
    """What a claim's text would say to mention the visit: its title, the host business's
    name (with or without "Ltd") and the venue's name; lower case."""
    names = [event.title]
    if event.host_organisation is not None:
        names += [event.host_organisation.name, _SUFFIX.sub("", event.host_organisation.name)]
    if event.venue is not None:
        names.append(event.venue.name)
    return sorted({n.strip().casefold() for n in names if n and len(n.strip()) >= 4})


def outcome_businesses(event: Event) -> int:
    """Visitors' businesses (confirmed visitors; not the host's own) with an outcome claim
    recorded after the visit began, not rejected, whose description or title mentions the
    visit. One query."""
    terms = mention_terms(event)
    if not terms:
        return 0
    visitors = (
        select(User.organisation_id)
        .join(Registration, Registration.user_id == User.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            User.organisation_id.is_not(None),
        )
    )
    if event.host_organisation_id is not None:
        visitors = visitors.where(User.organisation_id != event.host_organisation_id)
    text = func.lower(OutcomeClaim.description + " " + OutcomeClaim.title, type_=Text)
    return db.session.execute(
        select(func.count(distinct(OutcomeClaim.organisation_id))).where(
            OutcomeClaim.organisation_id.in_(visitors),
            OutcomeClaim.created_at >= event.starts_at,
            OutcomeClaim.status != ClaimStatus.REJECTED,
            or_(*[text.contains(term, autoescape=True) for term in terms]),
        )
    ).scalar_one()
