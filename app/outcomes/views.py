"""What the organiser's page for one business and the business's own page share."""

from __future__ import annotations

from flask import render_template

from app.auth.models import Organisation
from app.formutil import options
from app.outcomes import services
from app.outcomes.forms import CLAIM_KINDS, ClaimForm, DeclarationForm, ReviewForm
from app.outcomes.models import Programme
from app.outcomes.report import build_report
from app.outcomes.services import HEADCOUNT_BANDS, NOVELTY, PARTNER_KINDS, TURNOVER_BANDS
from app.timeutil import to_local, utcnow


def declaration_values(form: DeclarationForm) -> dict:
    return {
        "headcount_band": form.headcount_band.data,
        "turnover_band": form.turnover_band.data,
        "subsidies_gbp": form.subsidies_gbp.data,
        "consent_to_name": bool(form.consent_to_name.data),
        "signed_name": form.signed_name.data,
        "signed_on": form.signed_on.data,
    }


def claim_form(programme: Programme) -> ClaimForm:
    form = ClaimForm()
    customs = [i for i in programme.indicators if not i.built_in]
    form.indicator_id.choices = options([("", "—")] + [(str(i.id), i.title) for i in customs])
    if not customs:
        form.kind.choices = [c for c in form.kind.choices if c.value != "custom"]
    return form


def render_business(
    programme: Programme,
    organisation: Organisation,
    *,
    organiser_view: bool,
    can_sign: bool = True,
    declaration_form: DeclarationForm | None = None,
    form: ClaimForm | None = None,
    status: int = 200,
):
    """The business's hours with every check-in behind them, its declarations, claims and
    their history. Five queries for the figures, three for the lists."""
    report = build_report(programme, organisation_ids=[organisation.id])
    row = report.rows[0]
    declarations = services.declarations_of(programme, organisation)
    if declaration_form is None:
        declaration_form = DeclarationForm()
        declaration_form.signed_on.data = to_local(utcnow()).date()
    return (
        render_template(
            "outcomes/business.html",
            programme=programme,
            organisation=organisation,
            row=row,
            evidence=report.evidence,
            declarations=declarations,
            claims=services.claims_of(programme, organisation),
            history=services.audit_of(programme, organisation),
            declaration_form=declaration_form,
            form=form or claim_form(programme),
            review_form=ReviewForm(),
            organiser_view=organiser_view,
            can_sign=can_sign,
            admins=[] if can_sign else services.admins_of(organisation),
            labels={
                "headcount": HEADCOUNT_BANDS,
                "turnover": TURNOVER_BANDS,
                "novelty": NOVELTY,
                "partner": PARTNER_KINDS,
                "kinds": CLAIM_KINDS,
            },
            active="outcomes",
        ),
        status,
    )
