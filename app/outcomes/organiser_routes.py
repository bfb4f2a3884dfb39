"""Organiser screens for programme outcomes: the dashboard, the funder return (CSV, XLSX),
programme set-up, one page of evidence per business, and reviewing claims."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.models import Organisation
from app.auth.roles import require_roles
from app.csvexport import csv_response
from app.events.models import Event
from app.extensions import db
from app.formutil import options
from app.outcomes import services, splits
from app.outcomes.exports import evidence_rows, number, return_rows, xlsx_response
from app.outcomes.forms import (
    TARGET_PREFIX,
    DeclarationForm,
    EventNetworkForm,
    IndicatorForm,
    NetworkForm,
    ProgrammeForm,
    ReviewForm,
)
from app.outcomes.hours import Filters
from app.outcomes.models import ClaimStatus, OutcomeClaim, Programme
from app.outcomes.report import build_report
from app.outcomes.services import OutcomesError, OutcomesForbidden
from app.outcomes.views import declaration_values, render_business
from app.timeutil import to_local, utcnow

bp = Blueprint("outcomes", __name__, url_prefix="/organiser")
bp.before_request(require_roles("organiser"))


def _programme() -> Programme:
    programme = services.current_programme()
    if programme is None:
        abort(404, "No programme has been set up yet: an organiser sets it up under Outcomes.")
    return programme


def _date_arg(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"'{name}' must be a date written YYYY-MM-DD.")


def _filters() -> Filters:
    network = request.args.get("network", "").strip()
    network_id = None
    if network:
        if not network.isdigit() or int(network) not in {n.id for n in services.networks()}:
            abort(400, "No such network.")
        network_id = int(network)
    filters = Filters(_date_arg("from"), _date_arg("to"), network_id)
    if filters.starts_on and filters.ends_on and filters.ends_on < filters.starts_on:
        abort(400, "The period must end on or after the day it starts.")
    return filters


def _fail(exc: OutcomesError):
    abort(403 if isinstance(exc, OutcomesForbidden) else 400, str(exc))


@bp.get("/outcomes")
def dashboard():
    programme = services.current_programme()
    if programme is None:
        return render_template("outcomes/setup.html", form=ProgrammeForm(), programme=None,
                               active="outcomes")  # fmt: skip
    filters = _filters()
    report = build_report(programme, filters)
    nets = services.networks()
    quarters = splits.by_quarter(report, to_local(utcnow()).date())
    pending = db.session.execute(
        select(OutcomeClaim, Organisation.name)
        .join(Organisation, Organisation.id == OutcomeClaim.organisation_id)
        .where(
            OutcomeClaim.programme_id == programme.id,
            OutcomeClaim.status == ClaimStatus.CLAIMED,
        )
        .order_by(OutcomeClaim.created_at, OutcomeClaim.id)
    ).all()
    return render_template(
        "outcomes/dashboard.html",
        programme=programme,
        report=report,
        filters=filters,
        networks=nets,
        quarters=quarters,
        chart=splits.chart(report, quarters),
        chart_size=(splits.CHART_W, splits.CHART_H),
        by_network=splits.by_network(report, {n.id: n.name for n in nets}),
        improvement=splits.improvement(report),
        pending=pending,
        review_form=ReviewForm(),
        active="outcomes",
    )


def _export_name(filters: Filters, extension: str) -> str:
    parts = ["funder-return"]
    if filters.starts_on:
        parts.append(f"from-{filters.starts_on}")
    if filters.ends_on:
        parts.append(f"to-{filters.ends_on}")
    if filters.network_id:
        parts.append(f"network-{filters.network_id}")
    return "-".join(parts) + extension


@bp.get("/outcomes.csv")
def export_csv():
    filters = _filters()
    return csv_response(
        return_rows(build_report(_programme(), filters)), _export_name(filters, ".csv")
    )


@bp.get("/outcomes.xlsx")
def export_xlsx():
    filters = _filters()
    rows = return_rows(build_report(_programme(), filters))
    return xlsx_response(rows, _export_name(filters, ".xlsx"), "Funder return")


def _programme_form(programme: Programme | None, submitted: bool = False) -> ProgrammeForm:
    """The programme's form: as submitted, or (`submitted` false) as saved."""
    if submitted:
        return ProgrammeForm(obj=programme)
    form = ProgrammeForm(formdata=None, obj=programme)
    if programme is not None:
        for indicator in programme.indicators:
            field = getattr(form, TARGET_PREFIX + indicator.key, None)
            if field is not None:
                field.data = indicator.target
    return form


def _setup_page(form, programme, *, indicator_form=None, network_form=None, status=200):
    """The set-up page; a refused indicator or network comes back in its own form, with what
    was typed and why it was refused."""
    events = db.session.execute(select(Event).order_by(Event.starts_at.desc())).scalars().all()
    return render_template(
        "outcomes/setup.html",
        form=form,
        programme=programme,
        indicator_form=indicator_form or IndicatorForm(formdata=None),
        network_form=network_form or NetworkForm(formdata=None),
        networks=services.networks(),
        events=events,
        event_networks=services.event_networks(),
        event_network_form=EventNetworkForm(),
        active="outcomes",
    ), status


def _refused(field, exc: OutcomesError) -> None:
    if isinstance(exc, OutcomesForbidden):
        abort(403, str(exc))
    db.session.rollback()
    field.errors = [*field.errors, str(exc)]


@bp.route("/outcomes/setup", methods=["GET", "POST"])
def setup():
    programme = services.current_programme()
    form = _programme_form(programme, submitted=request.method == "POST")
    if form.validate_on_submit():
        data = services.ProgrammeData(
            form.name.data, form.funder.data or "", form.starts_on.data, form.ends_on.data,
            form.threshold_hours.data, form.mfa_limit_gbp.data,
        )  # fmt: skip
        targets = {
            name[len(TARGET_PREFIX) :]: field.data
            for name, field in form._fields.items()
            if name.startswith(TARGET_PREFIX)
        }
        try:
            services.save_programme(current_user, data, targets, programme)
        except OutcomesError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            flash("Programme saved.", "success")
            return redirect(url_for("outcomes.setup"))
    return _setup_page(form, programme, status=400 if request.method == "POST" else 200)


def _added(form, field, add, done: str, section: str):
    """One of the set-up page's one-line forms: saved, then back to its section; None when
    refused (the reason under `field`)."""
    if form.validate_on_submit():
        try:
            add()
        except OutcomesError as exc:
            _refused(field, exc)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("outcomes.setup") + section)
    return None


@bp.post("/outcomes/indicators")
def add_indicator():
    programme = _programme()
    form = IndicatorForm()
    added = _added(
        form, form.title,
        lambda: services.add_indicator(current_user, programme, form.title.data, form.target.data),
        "Indicator added.", "#indicators",
    )  # fmt: skip
    return added or _setup_page(
        _programme_form(programme), programme, indicator_form=form, status=422
    )


@bp.post("/outcomes/networks")
def add_network():
    form = NetworkForm()
    added = _added(
        form, form.name, lambda: services.create_network(current_user, form.name.data),
        "Network added.", "#networks",
    )  # fmt: skip
    programme = services.current_programme()
    return added or _setup_page(
        _programme_form(programme), programme, network_form=form, status=422
    )


@bp.post("/outcomes/events/<int:event_id>/network")
def set_event_network(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = EventNetworkForm()
    form.network_id.choices = options(
        [("", "None")] + [(str(n.id), n.name) for n in services.networks()]
    )
    if not form.validate_on_submit():
        abort(400, "Choose one of the networks.")
    try:
        services.set_event_network(
            current_user, event, int(form.network_id.data) if form.network_id.data else None
        )
    except OutcomesError as exc:
        _fail(exc)
    db.session.commit()
    flash(f"Network of {event.title} saved.", "success")
    return redirect(url_for("outcomes.setup") + "#events")


@bp.get("/outcomes/businesses/<int:organisation_id>")
def business(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_business(_programme(), organisation, organiser_view=True)


@bp.get("/outcomes/businesses/<int:organisation_id>/evidence.csv")
def business_evidence(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    programme = _programme()
    report = build_report(programme, organisation_ids=[organisation.id])
    rows = evidence_rows(
        report.evidence,
        services.declarations_of(programme, organisation),
        services.claims_of(programme, organisation),
    )
    return csv_response(rows, f"evidence-{organisation.id}.csv")


@bp.post("/outcomes/businesses/<int:organisation_id>/declaration")
def declare_for(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    programme = _programme()
    form = DeclarationForm()
    if not form.validate_on_submit():
        return render_business(programme, organisation, organiser_view=True,
                               declaration_form=form, status=400)  # fmt: skip
    try:
        services.sign_declaration(current_user, programme, organisation, **declaration_values(form))
    except OutcomesError as exc:
        form.signed_name.errors = [str(exc)]
        return render_business(programme, organisation, organiser_view=True,
                               declaration_form=form, status=400)  # fmt: skip
    db.session.commit()
    flash("Declaration signed on the business's behalf.", "success")
    return redirect(url_for("outcomes.business", organisation_id=organisation.id))


@bp.post("/outcomes/claims/<int:claim_id>/review")
def review(claim_id: int):
    claim = db.get_or_404(OutcomeClaim, claim_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400, "Choose Verify or Reject.")
    try:
        services.review_claim(current_user, claim, form.decision.data, form.note.data or "")
    except OutcomesError as exc:
        _fail(exc)
    db.session.commit()
    flash(f"Claim {form.decision.data}.", "success")
    back = request.form.get("back")
    if back == "business":
        return redirect(url_for("outcomes.business", organisation_id=claim.organisation_id))
    return redirect(url_for("outcomes.dashboard") + "#pending")


# Figures on the outcomes pages: whole numbers without ".0", the rest to 2 places at most.
bp.add_app_template_filter(number, "figure")
