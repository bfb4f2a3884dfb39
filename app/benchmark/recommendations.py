"""Recommendations: the workshops and site visits that address a business's weakest pillars,
with hosts that excel where it is weak."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.benchmark import peers, scoring
from app.benchmark.comparison import latest_per_organisation, peer_group_for
from app.benchmark.models import BenchmarkResponse
from app.benchmark.services import latest_submitted, questionnaire_for
from app.events.models import AgendaSession, Event, EventKind, EventStatus, SessionKind
from app.events.published import PublishedSession, from_row
from app.extensions import db
from app.timeutil import utcnow

# A pillar this far below the peer group's upper quartile is recommended even if it is not
# among the three weakest.
GAP_TO_UPPER_QUARTILE = 15
WEAKEST_COUNT = 3
HOST_EXEMPLAR_SCORE = 75


# --- recommendations -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendedItem:
    kind: str  # workshop | site_visit | session
    title: str
    event_slug: str
    event_title: str
    starts_at: datetime
    timezone: str
    summary: str
    session_id: int | None = None
    exemplar_host: bool = False  # a site visit to a host strong in this pillar


@dataclass(frozen=True)
class PillarRecommendation:
    pillar: str
    title: str
    score: float
    reasons: list[str]
    items: list[RecommendedItem]


def _target_pillars(
    scores: Mapping[str, float], order: list[str], peer: peers.PeerGroup | None
) -> list[tuple[str, list[str]]]:
    """(pillar, reasons) for the pillars to work on, weakest first."""
    position = {k: i for i, k in enumerate(order)}
    ranked = sorted((k for k in order if k in scores), key=lambda k: (scores[k], position[k]))
    reasons: dict[str, list[str]] = {}
    for key in ranked[:WEAKEST_COUNT]:
        if scores[key] < 100:
            reasons.setdefault(key, []).append("one of your three lowest-scoring pillars")
    if peer is not None and peer.available:
        for key in ranked:
            stats = peer.pillars.get(key)
            if (
                stats is not None
                and stats.q3 is not None
                and (stats.q3 - scores[key] > GAP_TO_UPPER_QUARTILE)
            ):
                gap = scoring.round_score(stats.q3 - scores[key])
                reasons.setdefault(key, []).append(
                    f"{gap:g} points below the upper quartile of your peers"
                )
    return [(k, reasons[k]) for k in ranked if k in reasons]


def _host_scores(host_ids: set[int]) -> dict[int, dict[str, float]]:
    if not host_ids:
        return {}
    return {
        o.id: dict(r.pillar_scores or {}) for r, o in latest_per_organisation() if o.id in host_ids
    }


def _published_sessions_by_event(
    event_ids: list[int], now: datetime
) -> dict[int, list[PublishedSession]]:
    """Upcoming, not cancelled, published sessions (breaks left out) of these events, in
    time order. One query whatever the number of events (published_sessions() is one each)."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(AgendaSession).where(
            AgendaSession.event_id.in_(event_ids), AgendaSession.published_at.is_not(None)
        )
    ).scalars()
    result: dict[int, list[PublishedSession]] = {}
    for session in (from_row(row) for row in rows):
        if (
            session is not None
            and not session.is_cancelled
            and session.kind != SessionKind.BREAK
            and session.starts_at > now
        ):
            result.setdefault(session.event_id, []).append(session)
    for sessions in result.values():
        sessions.sort(key=lambda s: (s.starts_at, s.room_id or 0, s.id))
    return result


def recommend_for(
    response: BenchmarkResponse, peer: peers.PeerGroup | None, now: datetime | None
) -> list[PillarRecommendation]:
    questionnaire = questionnaire_for(response)
    targets = _target_pillars(response.pillar_scores or {}, list(questionnaire.pillar_keys), peer)
    if not targets:
        return []
    when = now or utcnow()
    events = list(
        db.session.execute(
            select(Event)
            .where(Event.status == EventStatus.PUBLISHED, Event.starts_at > when)
            .order_by(Event.starts_at, Event.id)
        ).scalars()
    )
    hosts = _host_scores(
        {
            e.host_organisation_id
            for e in events
            if e.kind == EventKind.SITE_VISIT and e.host_organisation_id
        }
    )
    sessions_by_event = _published_sessions_by_event(
        [e.id for e in events if e.agenda_published_at is not None], when
    )
    result = []
    for key, reasons in targets:
        visits, others = [], []
        for event in events:
            if key in (event.pillars or []) and event.kind in (
                EventKind.WORKSHOP,
                EventKind.SITE_VISIT,
            ):
                exemplar = (
                    event.kind == EventKind.SITE_VISIT
                    and event.host_organisation_id is not None
                    and event.host_organisation_id != response.organisation_id
                    and hosts.get(event.host_organisation_id, {}).get(key, 0) >= HOST_EXEMPLAR_SCORE
                )
                item = RecommendedItem(
                    kind=event.kind,
                    title=event.title,
                    event_slug=event.slug,
                    event_title=event.title,
                    starts_at=event.starts_at,
                    timezone=event.timezone,
                    summary=event.summary,
                    exemplar_host=exemplar,
                )
                (visits if event.kind == EventKind.SITE_VISIT else others).append(item)
            for session in sessions_by_event.get(event.id, []):
                if key in session.pillars:
                    others.append(
                        RecommendedItem(
                            kind="session",
                            title=session.title,
                            event_slug=event.slug,
                            event_title=event.title,
                            starts_at=session.starts_at,
                            timezone=event.timezone,
                            summary=session.abstract,
                            session_id=session.id,
                        )
                    )
        # Site visits to hosts that score 75+ on this pillar come first (stable: by date after).
        visits.sort(key=lambda item: not item.exemplar_host)
        items = sorted(others, key=lambda item: item.starts_at)
        result.append(
            PillarRecommendation(
                pillar=key,
                title=questionnaire.pillar(key).title,
                score=(response.pillar_scores or {}).get(key, 0.0),
                reasons=reasons,
                items=visits + items,
            )
        )
    return result


def recommendations(
    organisation_id: int | None, now: datetime | None = None
) -> list[PillarRecommendation]:
    """What to attend next, from the organisation's latest submitted benchmark: for each of its
    weakest pillars (up to three, plus any more than 15 points below the peer upper quartile),
    upcoming workshops, site visits (hosts that score 75+ on that pillar first) and published
    agenda sessions tagged with that pillar. Empty without a submitted benchmark."""
    response = latest_submitted(organisation_id)
    if response is None:
        return []
    return recommend_for(response, peer_group_for(response), now)


def weak_pillars_by_event(
    organisation_id: int | None, now: datetime | None = None
) -> dict[str, list[str]] | None:
    """Event slug -> titles of the organisation's weakest pillars that the event (or a session
    in it) addresses, from recommendations(); None when it has no submitted benchmark."""
    if latest_submitted(organisation_id) is None:
        return None
    result: dict[str, list[str]] = {}
    for rec in recommendations(organisation_id, now):
        for item in rec.items:
            titles = result.setdefault(item.event_slug, [])
            if rec.title not in titles:
                titles.append(rec.title)
    return result
