"""The benchmark's business rules: drafts, submission and history. Peer comparison, results,
recommendations and the organiser's overview are in their own modules beside this one.

Plain functions that take the acting user explicitly, raise BenchmarkError with a message for
the user, and flush but never commit. The questionnaire, scoring and peer statistics are pure
(questionnaire.py, scoring.py, peers.py); this module feeds them from the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app import signals
from app.auth.membership import join_business
from app.auth.models import Organisation, User
from app.auth.services import AccountError
from app.benchmark import scoring
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
from app.benchmark.sic import SIZE_BANDS, VALID_DIVISIONS, size_band_for_fte
from app.extensions import db
from app.timeutil import utcnow

VALID_FOR = timedelta(days=365)
DRAFT, SUBMITTED = "draft", "submitted"


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


def latest_valid_bands(organisation_ids: set[int], now: datetime | None = None) -> dict[int, str]:
    """organisation id → the band of its latest benchmark, for those whose latest is still
    valid (one query, whatever their number)."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(BenchmarkResponse.organisation_id, BenchmarkResponse.band)
        .where(
            BenchmarkResponse.organisation_id.in_(organisation_ids),
            BenchmarkResponse.status == SUBMITTED,
            BenchmarkResponse.submitted_at > (now or utcnow()) - VALID_FOR,
        )
        .order_by(BenchmarkResponse.submitted_at.desc(), BenchmarkResponse.id.desc())
    ).all()
    bands: dict[int, str] = {}
    for organisation_id, band in rows:
        bands.setdefault(organisation_id, band)  # newest first: the first seen is the latest
    return bands


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
