"""Who may give feedback, recording it, and the organisers' summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.feedback.models import Feedback
from app.pillars import PILLARS
from app.registration.models import Registration
from app.registration.models import RegistrationStatus as S
from app.timeutil import utcnow

OPEN_DAYS_AFTER = 60  # feedback closes this long after the event ends


class FeedbackError(ValueError):
    """Feedback cannot be given (yet, or by this person); the message says why."""


def feedback_registration(user: User, event: Event, now: datetime | None = None) -> Registration:
    """The delegate's confirmed registration, if feedback is open for them; otherwise why not."""
    now = now or utcnow()
    registration = db.session.execute(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.user_id == user.id,
            Registration.status == S.CONFIRMED,
        )
    ).scalar_one_or_none()
    if registration is None:
        raise FeedbackError("Feedback is for delegates who had a confirmed place at this event.")
    if now < event.starts_at:
        raise FeedbackError("Feedback opens when the event starts.")
    if now > event.ends_at + timedelta(days=OPEN_DAYS_AFTER):
        raise FeedbackError("Feedback for this event has closed.")
    return registration


def feedback_of(registration: Registration) -> Feedback | None:
    return db.session.execute(
        select(Feedback).where(Feedback.registration_id == registration.id)
    ).scalar_one_or_none()


def save_feedback(
    registration: Registration,
    *,
    rating: int,
    recommend: bool,
    pillars: list[str],
    actions: str,
    comments: str,
) -> Feedback:
    """Record the delegate's feedback, or replace their earlier answers."""
    if not 1 <= rating <= 5:
        raise FeedbackError("Choose a rating from 1 to 5.")
    unknown = [p for p in pillars if p not in PILLARS]
    if unknown:
        raise FeedbackError("Choose pillars from the list.")
    feedback = feedback_of(registration) or Feedback(
        registration_id=registration.id, event_id=registration.event_id
    )
    feedback.rating = rating
    feedback.recommend = recommend
    feedback.pillars = [p for p in PILLARS if p in pillars]  # in pillar order, no repeats
    feedback.actions = actions
    feedback.comments = comments
    db.session.add(feedback)
    db.session.flush()
    return feedback


@dataclass
class FeedbackSummary:
    responses: int = 0
    confirmed: int = 0
    average: float | None = None
    ratings: dict[int, int] = field(default_factory=dict)  # 5..1 → count
    recommend_share: float | None = None
    pillars: list[tuple[str, int]] = field(default_factory=list)  # by count, most first
    entries: list[Feedback] = field(default_factory=list)  # newest first

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.confirmed if self.confirmed else None


def summary(event: Event) -> FeedbackSummary:
    """The organisers' view of an event's feedback (2 queries)."""
    entries = list(
        db.session.execute(
            select(Feedback)
            .where(Feedback.event_id == event.id)
            .options(
                joinedload(Feedback.registration)
                .joinedload(Registration.user)
                .joinedload(User.organisation)
            )
            .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
        ).scalars()
    )
    confirmed = db.session.execute(
        select(db.func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == S.CONFIRMED
        )
    ).scalar_one()
    result = FeedbackSummary(responses=len(entries), confirmed=confirmed, entries=entries)
    result.ratings = {n: 0 for n in range(5, 0, -1)}
    if entries:
        for f in entries:
            result.ratings[f.rating] += 1
        result.average = sum(f.rating for f in entries) / len(entries)
        result.recommend_share = sum(f.recommend for f in entries) / len(entries)
        counts = Counter(p for f in entries for p in f.pillars)
        result.pillars = sorted(counts.items(), key=lambda kv: (-kv[1], list(PILLARS).index(kv[0])))
    return result


def csv_rows(event: Event) -> list[list[str]]:
    rows = [["Name", "Email", "Business", "Rating", "Recommend", "Will act on", "What they will "
             "change", "Comments", "Submitted (UTC)"]]  # fmt: skip
    for f in summary(event).entries:
        user = f.registration.user
        rows.append(
            [
                user.name,
                user.email,
                user.organisation.name if user.organisation else "",
                str(f.rating),
                "yes" if f.recommend else "no",
                "; ".join(PILLARS[p] for p in f.pillars),
                f.actions,
                f.comments,
                f.updated_at.strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return rows
