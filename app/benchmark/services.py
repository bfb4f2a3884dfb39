"""The benchmark's business rules: drafts, submission, history, peer comparison, results and
recommendations.

Plain functions that take the acting user explicitly, raise BenchmarkError with a message for
the user, and flush but never commit. The questionnaire, scoring and peer statistics are pure
(questionnaire.py, scoring.py, peers.py); this module feeds them from the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app import signals
from app.auth.membership import join_business
from app.auth.models import Organisation, Role, User
from app.auth.services import AccountError
from app.benchmark import peers, scoring
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import (
    DONT_KNOW,
    LEVELS,
    AnswerError,
    MetricsError,
    Questionnaire,
    current_questionnaire,
    load_questionnaire,
    validate_answers,
    validate_metrics,
)
from app.benchmark.sic import SIZE_BANDS, VALID_DIVISIONS, sector_name, size_band_for_fte
from app.checkin.models import CheckIn
from app.events.models import AgendaSession, Event, EventKind, EventStatus, SessionKind
from app.events.published import PublishedSession, from_row
from app.extensions import db
from app.registration.models import Registration
from app.timeutil import utcnow

VALID_FOR = timedelta(days=365)
DRAFT, SUBMITTED = "draft", "submitted"
# A pillar this far below the peer group's upper quartile is recommended even if it is not
# among the three weakest.
GAP_TO_UPPER_QUARTILE = 15
WEAKEST_COUNT = 3
HOST_EXEMPLAR_SCORE = 75


class BenchmarkError(ValueError):
    """A benchmark request that cannot be carried out. ``errors`` maps a field (question key
    or metric key) to a message for the form, when the problem is in particular fields."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors or {})


# --- reading history ---------------------------------------------------------------------


def _submitted(organisation_id: int):
    return select(BenchmarkResponse).where(
        BenchmarkResponse.organisation_id == organisation_id,
        BenchmarkResponse.status == SUBMITTED,
    )


def latest_submitted(organisation_id: int | None) -> BenchmarkResponse | None:
    """The organisation's most recent submitted benchmark, whatever its age."""
    if organisation_id is None:
        return None
    return db.session.execute(
        _submitted(organisation_id)
        .order_by(BenchmarkResponse.submitted_at.desc(), BenchmarkResponse.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def baseline(organisation_id: int | None) -> BenchmarkResponse | None:
    """The organisation's first submitted benchmark: the programme's baseline for it."""
    if organisation_id is None:
        return None
    return db.session.execute(
        _submitted(organisation_id)
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
        .limit(1)
    ).scalar_one_or_none()


def history(organisation_id: int | None) -> list[BenchmarkResponse]:
    """Every submitted benchmark of the organisation, newest first."""
    if organisation_id is None:
        return []
    return list(
        db.session.execute(
            _submitted(organisation_id).order_by(
                BenchmarkResponse.submitted_at.desc(), BenchmarkResponse.id.desc()
            )
        ).scalars()
    )


def valid_until(response: BenchmarkResponse) -> datetime | None:
    return response.submitted_at + VALID_FOR if response.submitted_at else None


def is_valid(response: BenchmarkResponse | None, now: datetime | None = None) -> bool:
    if response is None or response.status != SUBMITTED or response.submitted_at is None:
        return False
    return response.submitted_at > (now or utcnow()) - VALID_FOR


def has_valid_benchmark(organisation_id: int | None, now: datetime | None = None) -> bool:
    """True if the organisation submitted a benchmark within the last 365 days."""
    if organisation_id is None:
        return False
    cutoff = (now or utcnow()) - VALID_FOR
    found = db.session.execute(
        select(BenchmarkResponse.id)
        .where(
            BenchmarkResponse.organisation_id == organisation_id,
            BenchmarkResponse.status == SUBMITTED,
            BenchmarkResponse.submitted_at > cutoff,
        )
        .limit(1)
    ).first()
    return found is not None


def response_for_viewer(public_id: str, viewer: User) -> BenchmarkResponse | None:
    """A submitted response by its secret id, if ``viewer`` may see it: a member of its
    organisation, or an organiser. None otherwise, so the caller answers 404 either way and
    nobody learns that the id exists."""
    if not public_id or len(public_id) > 64:
        return None
    response = db.session.execute(
        select(BenchmarkResponse).where(
            BenchmarkResponse.public_id == public_id, BenchmarkResponse.status == SUBMITTED
        )
    ).scalar_one_or_none()
    if response is None:
        return None
    if viewer.is_organiser or (
        viewer.organisation_id is not None and viewer.organisation_id == response.organisation_id
    ):
        return response
    return None


# --- the organisation step ---------------------------------------------------------------


def organisation_needs(user: User) -> list[str]:
    """What the first step must ask for: any of "organisation", "sector", "size_band"."""
    org = user.organisation
    if org is None:
        return ["organisation", "sector", "size_band"]
    needs = []
    if not org.sector:
        needs.append("sector")
    if not org.size_band:
        needs.append("size_band")
    return needs


def set_organisation(
    actor: User,
    name: str | None = None,
    companies_house_number: str | None = None,
    sector: str | None = None,
    size_band: str | None = None,
) -> Organisation:
    """Create the actor's business, or ask to join a known one (app.auth.membership), and fill
    in its sector and size band where they are missing. Values already held are kept: a
    colleague cannot change the organisation's sector from here. Returns the business, which
    the actor is not a member of yet while their request waits."""
    org = actor.organisation
    errors = {}
    if org is None and (not name or not name.strip()):
        errors["name"] = "Enter your business name."
    if sector is not None and sector not in VALID_DIVISIONS:
        errors["sector"] = "Choose your sector from the list."
    elif not sector and not (org and org.sector):
        errors["sector"] = "Choose your sector."
    if size_band is not None and size_band not in SIZE_BANDS:
        errors["size_band"] = "Choose a size band from the list."
    elif not size_band and not (org and org.size_band):
        errors["size_band"] = "Choose your business's size."
    if errors:
        raise BenchmarkError("Please correct the highlighted fields.", errors)
    if org is None:
        try:
            org, _ = join_business(actor, name or "", companies_house_number)
        except AccountError as exc:
            field_name = "companies_house_number" if "Companies House" in str(exc) else "name"
            raise BenchmarkError(str(exc), {field_name: str(exc)}) from exc
        if actor.organisation_id != org.id:
            return org  # a request to join, waiting for approval: nothing of theirs to fill
    if not org.sector:
        org.sector = sector
    if not org.size_band:
        org.size_band = size_band
    db.session.flush()
    return org


# --- drafts --------------------------------------------------------------------------------


def _require_organisation(actor: User) -> Organisation:
    if actor.organisation is None:
        raise BenchmarkError("Tell us which business you work for first.")
    return actor.organisation


def current_draft(actor: User) -> BenchmarkResponse | None:
    """The actor's unfinished benchmark for their organisation, if any."""
    if actor.organisation_id is None:
        return None
    return db.session.execute(
        select(BenchmarkResponse)
        .where(
            BenchmarkResponse.organisation_id == actor.organisation_id,
            BenchmarkResponse.submitted_by_id == actor.id,
            BenchmarkResponse.status == DRAFT,
        )
        .order_by(BenchmarkResponse.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def start_draft(actor: User) -> BenchmarkResponse:
    """Resume the actor's draft, or start a new one against the current questionnaire."""
    org = _require_organisation(actor)
    draft = current_draft(actor)
    if draft is not None:
        return draft
    draft = BenchmarkResponse(
        public_id=secrets.token_urlsafe(16),
        organisation_id=org.id,
        submitted_by_id=actor.id,
        status=DRAFT,
        questionnaire_version=current_questionnaire().version,
        answers={},
        metrics={},
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def questionnaire_for(response: BenchmarkResponse) -> Questionnaire:
    return load_questionnaire(response.questionnaire_version)


def _check_draft(actor: User, draft: BenchmarkResponse) -> None:
    if draft.submitted_by_id != actor.id or draft.organisation_id != actor.organisation_id:
        raise BenchmarkError("That benchmark is not yours to change.")
    if draft.status != DRAFT:
        raise BenchmarkError("This benchmark has already been submitted, so it cannot be changed.")


def save_pillar(
    actor: User,
    draft: BenchmarkResponse,
    pillar_key: str,
    raw: Mapping[str, str],
    require_complete: bool = True,
) -> dict[str, int | None]:
    """Store one pillar's answers from a form. With ``require_complete`` (moving forward) every
    question must be answered; otherwise (going back, saving to finish later) unanswered
    questions are allowed. An answer off the scale is always refused, and nothing is written
    when anything is refused."""
    _check_draft(actor, draft)
    questionnaire = questionnaire_for(draft)
    try:
        pillar = questionnaire.pillar(pillar_key)
    except KeyError:
        raise BenchmarkError("There is no such section in this questionnaire.") from None
    try:
        cleaned = validate_answers(questionnaire, pillar_key, raw)
    except AnswerError as exc:
        if require_complete or exc.invalid:
            errors = exc.errors if require_complete else {k: exc.errors[k] for k in exc.invalid}
            if exc.invalid:
                message = "Choose one of the answers shown for each question."
            else:
                message = "Please answer every question (choose “Don’t know” if you are unsure)."
            raise BenchmarkError(message, errors) from exc
        # Every answer given is on the scale (checked above); keep those, skip the rest.
        cleaned = {}
        for key in pillar.question_keys:
            value = (raw.get(key) or "").strip()
            if value:
                cleaned[key] = None if value == DONT_KNOW else int(value)
    answers = {k: v for k, v in (draft.answers or {}).items() if k not in pillar.question_keys}
    answers.update(cleaned)
    draft.answers = answers  # a new dict, so the JSON column is marked changed
    draft.updated_at = utcnow()
    db.session.flush()
    return cleaned


def save_metrics(actor: User, draft: BenchmarkResponse, raw: Mapping[str, str | None]) -> list[str]:
    """Store the optional business metrics; returns warnings to show (e.g. purchases above
    turnover, which is allowed). Refused values raise BenchmarkError and write nothing."""
    _check_draft(actor, draft)
    questionnaire = questionnaire_for(draft)
    # The sector comes from the business's record (asked once, in step 1), never typed again.
    sector = draft.organisation.sector if draft.organisation else None
    raw = {**raw, **{f.key: sector or "" for f in questionnaire.metrics if f.kind == "sic"}}
    try:
        cleaned, warnings = validate_metrics(raw, questionnaire)
    except MetricsError as exc:
        raise BenchmarkError("Please correct the highlighted figures.", exc.errors) from exc
    draft.metrics = cleaned
    draft.updated_at = utcnow()
    db.session.flush()
    return warnings


def metric_warnings(response: BenchmarkResponse) -> list[str]:
    """Warnings about stored metrics (they were accepted, but deserve a second look)."""
    metrics = response.metrics or {}
    turnover, purchases = metrics.get("turnover_gbp"), metrics.get("purchases_gbp")
    if isinstance(turnover, int) and isinstance(purchases, int) and purchases > turnover:
        return ["Bought-in goods and services are more than turnover; please check both figures."]
    return []


def unanswered(response: BenchmarkResponse) -> dict[str, list[str]]:
    """Pillar key -> question keys still unanswered, for pillars with any."""
    answers = response.answers or {}
    result = {}
    for pillar in questionnaire_for(response).pillars:
        missing = [q for q in pillar.question_keys if q not in answers]
        if missing:
            result[pillar.key] = missing
    return result


def _answers_are_on_scale(answers: Mapping) -> bool:
    return all(
        v is None or (isinstance(v, int) and not isinstance(v, bool) and v in LEVELS)
        for v in answers.values()
    )


def submit(actor: User, draft: BenchmarkResponse, now: datetime | None = None) -> BenchmarkResponse:
    """Score and submit the draft, then tell the rest of the app (benchmark_submitted).

    Refuses a draft with unanswered questions, and a second submission of the same draft (also
    when two requests race: the status changes with one conditional UPDATE)."""
    if draft.status != DRAFT:
        raise BenchmarkError("This benchmark has already been submitted.")
    _check_draft(actor, draft)
    gaps = unanswered(draft)
    if gaps:
        titles = ", ".join(questionnaire_for(draft).pillar(k).title for k in gaps)
        raise BenchmarkError(f"Some questions are still unanswered, in: {titles}.")
    answers = dict(draft.answers or {})
    if not _answers_are_on_scale(answers):
        raise BenchmarkError("Some answers are not on the scale; please answer them again.")
    questionnaire = questionnaire_for(draft)
    known = set(questionnaire.question_keys)
    result = scoring.score(questionnaire, {k: v for k, v in answers.items() if k in known})
    metrics = draft.metrics or {}
    gva = scoring.gva_per_fte(
        metrics.get("turnover_gbp"), metrics.get("purchases_gbp"), metrics.get("fte")
    )
    when = now or utcnow()
    changed = db.session.execute(
        update(BenchmarkResponse)
        .where(BenchmarkResponse.id == draft.id, BenchmarkResponse.status == DRAFT)
        .values(
            status=SUBMITTED,
            submitted_at=when,
            scoring_version=result.scoring_version,
            pillar_scores=result.pillar_scores,
            overall_score=result.overall,
            band=result.band,
            gva_per_fte=None if gva is None else round(gva, 2),
            updated_at=when,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise BenchmarkError("This benchmark has already been submitted.")
    db.session.refresh(draft)
    org = draft.organisation
    _fill_organisation_from_metrics(org, metrics)
    db.session.flush()
    signals.benchmark_submitted.send(org, actor=actor, response=draft)
    return draft


def _fill_organisation_from_metrics(org: Organisation, metrics: Mapping) -> None:
    """The metrics step may tell us what the organisation's record lacks."""
    sic = metrics.get("sic_division")
    if sic and not org.sector:
        org.sector = sic
    fte = metrics.get("fte")
    if isinstance(fte, int | float) and fte > 0:
        if org.fte is None:
            org.fte = fte
        if not org.size_band:
            org.size_band = size_band_for_fte(fte)


# --- peer comparison -----------------------------------------------------------------------


def _latest_per_organisation() -> list[tuple[BenchmarkResponse, Organisation]]:
    """Each organisation's latest submitted response, with the organisation. 1 query."""
    ranked = (
        select(
            BenchmarkResponse.id.label("id"),
            func.row_number()
            .over(
                partition_by=BenchmarkResponse.organisation_id,
                order_by=(BenchmarkResponse.submitted_at.desc(), BenchmarkResponse.id.desc()),
            )
            .label("rank"),
        )
        .where(BenchmarkResponse.status == SUBMITTED)
        .subquery()
    )
    rows = db.session.execute(
        select(BenchmarkResponse, Organisation)
        .join(ranked, ranked.c.id == BenchmarkResponse.id)
        .join(Organisation, Organisation.id == BenchmarkResponse.organisation_id)
        .where(ranked.c.rank == 1)
        .order_by(BenchmarkResponse.organisation_id)
    ).all()
    return [(r, o) for r, o in rows]


def _org_score(response: BenchmarkResponse, org: Organisation) -> peers.OrgScore:
    return peers.OrgScore(
        organisation_id=org.id,
        sector=org.sector,
        size_band=org.size_band,
        pillar_scores=dict(response.pillar_scores or {}),
        overall=response.overall_score or 0.0,
        gva_per_fte=response.gva_per_fte,
    )


def _seen_organisation_ids() -> set[int]:
    """Businesses the programme has seen: ticked by an organiser, or with a member admitted
    at an event. Only these count in peer figures, so made-up businesses cannot. 1 query."""
    checked_in = (
        select(User.organisation_id)
        .join(Registration, Registration.user_id == User.id)
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(User.organisation_id.is_not(None), CheckIn.undone_at.is_(None))
    )
    ticked = select(Organisation.id).where(Organisation.verified_at.is_not(None))
    return set(db.session.execute(ticked.union(checked_in)).scalars())


def peer_group_for(response: BenchmarkResponse) -> peers.PeerGroup:
    """The peer group to compare this response with: the latest submission of every other
    business the programme has seen (app.benchmark.peers has the disclosure rules)."""
    org = response.organisation
    seen = _seen_organisation_ids()
    population = [
        _org_score(r, o) for r, o in _latest_per_organisation() if o.id != org.id and o.id in seen
    ]
    return peers.choose_peer_group(org.sector, org.size_band, population, sector_name)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PillarRow:
    key: str
    title: str
    score: float
    peer_median: float | None
    peer_q1: float | None
    peer_q3: float | None
    baseline: float | None  # the baseline's score, when this response is not the baseline
    change: float | None


@dataclass(frozen=True)
class Results:
    response: BenchmarkResponse
    questionnaire: Questionnaire
    rows: list[PillarRow]
    peer: peers.PeerGroup
    strongest: list[str]
    weakest: list[str]
    dont_know: list[str]  # question texts answered "don't know"
    gva_per_fte: float | None
    peer_gva_median: float | None
    baseline: BenchmarkResponse | None  # None when this response is the baseline
    overall_change: float | None
    warnings: list[str]
    is_latest: bool
    recommendations: list[PillarRecommendation] = field(default_factory=list)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else scoring.round_score(a - b)


def results_for(response: BenchmarkResponse, now: datetime | None = None) -> Results:
    questionnaire = questionnaire_for(response)
    peer = peer_group_for(response)
    first = baseline(response.organisation_id)
    if first is not None and first.id == response.id:
        first = None  # this is the baseline: nothing to compare with
    scores = response.pillar_scores or {}
    base_scores = (first.pillar_scores or {}) if first else {}
    rows = []
    for pillar in questionnaire.pillars:
        stats = peer.pillars.get(pillar.key) if peer.available else None
        own = scores.get(pillar.key, 0.0)
        base = base_scores.get(pillar.key) if first else None
        rows.append(
            PillarRow(
                key=pillar.key,
                title=pillar.title,
                score=own,
                peer_median=stats.median if stats else None,
                peer_q1=stats.q1 if stats else None,
                peer_q3=stats.q3 if stats else None,
                baseline=base,
                change=_diff(own, base),
            )
        )
    strongest, weakest = scoring.strongest_weakest(scores)
    texts = {q.key: q.text for q in questionnaire.questions}
    dont_know = [
        texts[k] for k in questionnaire.question_keys if (response.answers or {}).get(k, 0) is None
    ]
    latest = latest_submitted(response.organisation_id)
    is_latest = latest is not None and latest.id == response.id
    return Results(
        response=response,
        questionnaire=questionnaire,
        rows=rows,
        peer=peer,
        strongest=strongest,
        weakest=weakest,
        dont_know=dont_know,
        gva_per_fte=response.gva_per_fte,
        peer_gva_median=peer.gva_per_fte.median if peer.available and peer.gva_per_fte else None,
        baseline=first,
        overall_change=_diff(response.overall_score, first.overall_score) if first else None,
        warnings=metric_warnings(response),
        is_latest=is_latest,
        recommendations=(_recommend(response, peer, now) if is_latest else []),
    )


def chart_data(results: Results) -> dict:
    """What the radar chart script needs (JSON-safe). Only aggregates of the peer group."""
    return {
        "labels": [row.title for row in results.rows],
        "yours": [row.score for row in results.rows],
        "peer_median": (
            [row.peer_median for row in results.rows] if results.peer.available else None
        ),
        "baseline": (
            [row.baseline for row in results.rows] if results.baseline is not None else None
        ),
        "peer_label": f"Peer median ({results.peer.label})" if results.peer.available else None,
    }


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
        o.id: dict(r.pillar_scores or {}) for r, o in _latest_per_organisation() if o.id in host_ids
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


def _recommend(
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
    return _recommend(response, peer_group_for(response), now)


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


# --- the organiser's view ------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeOverview:
    organisations_completed: int  # with a benchmark submitted in the last 12 months
    organisations_ever: int
    organisations_total: int
    delegates_completed: int  # delegates whose organisation has a current benchmark
    delegates_total: int
    submissions: int
    reassessed: int  # organisations with more than one submission
    distribution: dict[str, peers.Distribution | None]
    bands: dict[str, int] | None  # band -> organisations, only with MIN_GROUP of them


def programme_overview(actor: User, now: datetime | None = None) -> ProgrammeOverview:
    """Programme-wide aggregates for organisers. Never a single organisation's scores."""
    if not actor.is_organiser:
        raise BenchmarkError("Only organisers can see the programme overview.")
    cutoff = (now or utcnow()) - VALID_FOR
    latest = _latest_per_organisation()
    current_ids = {o.id for r, o in latest if r.submitted_at and r.submitted_at > cutoff}
    counts = dict(
        db.session.execute(
            select(BenchmarkResponse.organisation_id, func.count())
            .where(BenchmarkResponse.status == SUBMITTED)
            .group_by(BenchmarkResponse.organisation_id)
        ).all()
    )
    delegate_orgs = (
        db.session.execute(
            select(User.organisation_id).where(User.role == Role.DELEGATE, User.active.is_(True))
        )
        .scalars()
        .all()
    )
    questionnaire = current_questionnaire()
    population = [_org_score(r, o) for r, o in latest]
    bands: dict[str, int] | None = None
    if len(latest) >= peers.MIN_GROUP:
        bands = dict.fromkeys(scoring.BAND_NAMES, 0)
        for r, _ in latest:
            if r.band in bands:
                bands[r.band] += 1
    return ProgrammeOverview(
        organisations_completed=len(current_ids),
        organisations_ever=len(latest),
        organisations_total=db.session.execute(
            select(func.count()).select_from(Organisation)
        ).scalar_one(),
        delegates_completed=sum(1 for org_id in delegate_orgs if org_id in current_ids),
        delegates_total=len(delegate_orgs),
        submissions=sum(counts.values()),
        reassessed=sum(1 for n in counts.values() if n > 1),
        distribution=peers.distribution(population, questionnaire.pillar_keys),
        bands=bands,
    )


@dataclass(frozen=True)
class ExportRow:
    organisation: Organisation
    latest: BenchmarkResponse
    first: BenchmarkResponse
    submissions: int


def export_rows(actor: User) -> list[ExportRow]:
    """Organisation-level results for the programme team (organisers only): each
    organisation's latest submission with its baseline. 2 queries."""
    if not actor.is_organiser:
        raise BenchmarkError("Only organisers can export benchmark results.")
    rows = db.session.execute(
        select(BenchmarkResponse, Organisation)
        .join(Organisation, Organisation.id == BenchmarkResponse.organisation_id)
        .where(BenchmarkResponse.status == SUBMITTED)
        .options(selectinload(BenchmarkResponse.submitted_by))
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).all()
    grouped: dict[int, list[BenchmarkResponse]] = {}
    orgs: dict[int, Organisation] = {}
    for response, org in rows:
        grouped.setdefault(org.id, []).append(response)
        orgs[org.id] = org
    result = [
        ExportRow(organisation=orgs[i], latest=rs[-1], first=rs[0], submissions=len(rs))
        for i, rs in grouped.items()
    ]
    return sorted(result, key=lambda row: row.organisation.name.lower())
