"""The productivity benchmark: taking it, results, recommendations.

Steps: (about your business, if needed) → one step per pillar → business figures (optional)
→ review and submit → results. The draft is saved on every step, so a delegate can stop and
come back. A ``next`` parameter (a local path, e.g. the registration page) is remembered for the
whole journey and offered again once the benchmark is submitted.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.auth.membership import number_dispute, pending_request
from app.auth.roles import check_verified
from app.benchmark import services
from app.benchmark.forms import OrganisationForm
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import DONT_KNOW, Questionnaire
from app.benchmark.results import chart_data, results_for
from app.benchmark.sic import SIZE_BANDS, sector_name
from app.extensions import db
from app.registration.models import RegistrationStatus
from app.registration.services import registrations_for_user
from app.timeutil import utcnow
from app.urls import local_path

bp = Blueprint("benchmark", __name__, url_prefix="/benchmark")

NEXT_KEY = "benchmark_next"


@bp.before_request
def confirmed_address_first():
    # Taking, seeing or joining a business's benchmark needs a confirmed address; the index
    # page explains the benchmark to anyone.
    if request.endpoint != "benchmark.index" and current_user.is_authenticated:
        check_verified()


ACTIONS = ("next", "back", "save")


def safe_next(value: str | None) -> str | None:
    """A local path to return to, or None. Never another site."""
    return local_path(value)


def _remembered_next() -> str | None:
    return safe_next(session.get(NEXT_KEY))


def _steps(questionnaire: Questionnaire) -> list[str]:
    # "About your business" counts as step 1 even for those whose business is already known,
    # so every page numbers its step the same way.
    return ["organisation", *questionnaire.pillar_keys, "metrics", "review"]


def _step_url(step: str) -> str:
    if step == "organisation":  # "back" from the first pillar: the start page
        return url_for("benchmark.index")
    if step == "metrics":
        return url_for("benchmark.metrics")
    if step == "review":
        return url_for("benchmark.review")
    return url_for("benchmark.step", pillar_key=step)


def _progress(questionnaire: Questionnaire, step: str) -> dict:
    steps = _steps(questionnaire)
    number = steps.index(step) + 1
    return {
        "number": number,
        "total": len(steps),
        "percent": round(100 * (number - 1) / (len(steps) - 1)),
    }


def _first_unfinished_step(draft: BenchmarkResponse) -> str:
    gaps = services.unanswered(draft)
    for key in services.questionnaire_for(draft).pillar_keys:
        if key in gaps:
            return key
    return "review"


def _draft_or_redirect():
    """The signed-in user's draft, or a redirect to where they should start."""
    if services.organisation_needs(current_user):
        return None, redirect(url_for("benchmark.organisation"))
    draft = services.current_draft(current_user)
    if draft is None:
        flash("Start the benchmark from here.", "info")
        return None, redirect(url_for("benchmark.index"))
    return draft, None


@bp.get("")
def index():
    nxt = safe_next(request.args.get("next"))
    if nxt:
        session[NEXT_KEY] = nxt
    else:
        nxt = _remembered_next()
    if not current_user.is_authenticated:
        return render_template("benchmark/index.html", signed_in=False, next=nxt)
    org = current_user.organisation
    org_id = org.id if org else None
    past = services.history(org_id)
    latest = past[0] if past else None
    return render_template(
        "benchmark/index.html",
        signed_in=True,
        next=nxt,
        organisation=org,
        latest=latest,
        valid=services.is_valid(latest),
        places=_places(current_user) if nxt else [],
        valid_until=services.valid_until(latest) if latest else None,
        history=past,
        draft=services.current_draft(current_user),
        needs=services.organisation_needs(current_user),
        waiting=pending_request(current_user),
    )


@bp.post("/start")
@login_required
def start():
    if services.organisation_needs(current_user):
        return redirect(url_for("benchmark.organisation"))
    draft = services.start_draft(current_user)
    db.session.commit()
    return redirect(_step_url(_first_unfinished_step(draft)))


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation():
    needs = services.organisation_needs(current_user)
    if not needs or pending_request(current_user) is not None:
        return redirect(url_for("benchmark.index"))
    form = OrganisationForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.set_organisation(
                current_user,
                name=form.name.data if "organisation" in needs else None,
                companies_house_number=(
                    form.companies_house_number.data if "organisation" in needs else None
                ),
                sector=form.sector.data or None,
                size_band=form.size_band.data or None,
            )
        except services.BenchmarkError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
            if not exc.errors:
                flash(exc.message, "danger")
            status = 400
        else:
            if current_user.organisation_id is None:  # asked to join a known business
                asked = pending_request(current_user)
                disputed = asked is not None and number_dispute(asked) is not None
                db.session.commit()
                flash(
                    "You have asked to join this business. The Companies House number you gave "
                    "belongs to a business on record under another name, so the programme's "
                    "organisers will check it; we will email you."
                    if disputed
                    else "You have asked to join this business. You will see its benchmark once "
                    "one of its admins, or an organiser, approves; we will email you.",
                    "info",
                )
                return redirect(url_for("benchmark.index"))
            draft = services.start_draft(current_user)
            db.session.commit()
            flash(f"Thank you. You are benchmarking {current_user.organisation.name}.", "success")
            return redirect(_step_url(_first_unfinished_step(draft)))
    elif request.method == "POST":
        status = 400
    return render_template(
        "benchmark/organisation.html",
        form=form,
        needs=needs,
        organisation=current_user.organisation,
        progress=_progress(services.current_questionnaire(), "organisation"),
    ), status


def _answer_values(draft: BenchmarkResponse, keys) -> dict[str, str]:
    """Stored answers as the form's radio values ("0".."4" or "dk")."""
    values = {}
    for key in keys:
        if key in (draft.answers or {}):
            level = draft.answers[key]
            values[key] = DONT_KNOW if level is None else str(level)
    return values


@bp.route("/step/<pillar_key>", methods=["GET", "POST"])
@login_required
def step(pillar_key: str):
    draft, elsewhere = _draft_or_redirect()
    if elsewhere:
        return elsewhere
    questionnaire = services.questionnaire_for(draft)
    if pillar_key not in questionnaire.pillar_keys:
        abort(404, "There is no such section in the benchmark.")
    pillar = questionnaire.pillar(pillar_key)
    steps = _steps(questionnaire)
    index = steps.index(pillar_key)
    errors: dict[str, str] = {}
    values = _answer_values(draft, pillar.question_keys)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        if action not in ACTIONS:
            abort(400, "Unknown action.")
        try:
            services.save_pillar(
                current_user, draft, pillar_key, request.form, require_complete=action == "next"
            )
        except services.BenchmarkError as exc:
            db.session.rollback()
            errors = exc.errors
            flash(exc.message, "danger")
            values = {k: request.form.get(k, "") for k in pillar.question_keys}
            status = 400
        else:
            db.session.commit()
            if action == "save":
                flash("Saved. Come back to this page at any time to carry on.", "success")
                return redirect(url_for("benchmark.index"))
            if action == "back":
                if index == 0:
                    return redirect(url_for("benchmark.index"))
                return redirect(_step_url(steps[index - 1]))
            return redirect(_step_url(steps[index + 1]))
    return render_template(
        "benchmark/step.html",
        questionnaire=questionnaire,
        pillar=pillar,
        values=values,
        errors=errors,
        progress=_progress(questionnaire, pillar_key),
        is_first=index == 0,
        dont_know=DONT_KNOW,
    ), status


@bp.route("/metrics", methods=["GET", "POST"])
@login_required
def metrics():
    draft, elsewhere = _draft_or_redirect()
    if elsewhere:
        return elsewhere
    questionnaire = services.questionnaire_for(draft)
    steps = _steps(questionnaire)
    stored = draft.metrics or {}
    # The sector is asked once, about the business (step 1), not again among the figures.
    fields = [f for f in questionnaire.metrics if f.kind != "sic"]
    values = {f.key: _metric_text(stored.get(f.key)) for f in fields}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        if action not in ACTIONS:
            abort(400, "Unknown action.")
        raw = {f.key: request.form.get(f.key, "") for f in fields}
        try:
            warnings = services.save_metrics(current_user, draft, raw)
        except services.BenchmarkError as exc:
            db.session.rollback()
            errors = exc.errors
            values = raw
            flash(exc.message, "danger")
            status = 400
        else:
            db.session.commit()
            for warning in warnings:
                flash(warning, "warning")
            if action == "save":
                flash("Saved. Come back to this page at any time to carry on.", "success")
                return redirect(url_for("benchmark.index"))
            if action == "back":
                return redirect(_step_url(steps[steps.index("metrics") - 1]))
            return redirect(url_for("benchmark.review"))
    return render_template(
        "benchmark/metrics.html",
        questionnaire=questionnaire,
        fields=fields,
        values=values,
        errors=errors,
        progress=_progress(questionnaire, "metrics"),
    ), status


def _metric_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@bp.get("/review")
@login_required
def review():
    draft, elsewhere = _draft_or_redirect()
    if elsewhere:
        return elsewhere
    questionnaire = services.questionnaire_for(draft)
    return render_template(
        "benchmark/review.html",
        draft=draft,
        questionnaire=questionnaire,
        answers=draft.answers or {},
        metrics=draft.metrics or {},
        gaps=services.unanswered(draft),
        warnings=services.metric_warnings(draft),
        progress=_progress(questionnaire, "review"),
        organisation=current_user.organisation,
        sector_name=sector_name,
        size_bands=SIZE_BANDS,
    )


@bp.post("/submit")
@login_required
def submit():
    public_id = request.form.get("response", "")
    draft = db.session.execute(
        db.select(BenchmarkResponse).where(
            BenchmarkResponse.public_id == public_id,
            BenchmarkResponse.submitted_by_id == current_user.id,
        )
    ).scalar_one_or_none()
    if draft is None:
        abort(404, "There is no benchmark of yours to submit here.")
    if draft.status != services.DRAFT:
        flash("This benchmark has already been submitted; here are its results.", "info")
        return redirect(url_for("benchmark.results", public_id=draft.public_id))
    try:
        services.submit(current_user, draft)
    except services.BenchmarkError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("benchmark.review"))
    db.session.commit()
    flash("Thank you: your benchmark is submitted.", "success")
    nxt = _remembered_next()
    session.pop(NEXT_KEY, None)
    return redirect(url_for("benchmark.results", public_id=draft.public_id, next=nxt))


def _places(user) -> list:
    """The user's places at coming events that the benchmark concerns: confirmed now, or
    still waiting (for payment, or for the benchmark itself)."""
    shown = (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.PENDING_PAYMENT,
        RegistrationStatus.PENDING_BENCHMARK,
    )
    now = utcnow()
    return [
        r
        for r in registrations_for_user(user.id)
        if r.status in shown and r.event.ends_at > now and r.event.requires_benchmark
    ][:3]


@bp.get("/results/<public_id>")
@login_required
def results(public_id: str):
    response = services.response_for_viewer(public_id, current_user)
    if response is None:
        abort(404, "There are no results at this address, or they are not yours to see.")
    data = results_for(response)
    return render_template(
        "benchmark/results.html",
        r=data,
        chart=chart_data(data),
        next=safe_next(request.args.get("next")),
        places=_places(current_user),
        valid_until=services.valid_until(response),
        own=current_user.organisation_id == response.organisation_id,
    )
