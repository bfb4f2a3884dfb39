"""The shape of the outcomes forms; the rules live in services.py."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import FlaskForm
from app.formutil import options
from app.outcomes.models import BUILT_IN_INDICATORS, ClaimKind
from app.outcomes.services import HEADCOUNT_BANDS, NOVELTY, PARTNER_KINDS, TURNOVER_BANDS

TARGET_PREFIX = "target_"


class ProgrammeForm(FlaskForm):
    name = StringField("Programme name", validators=[DataRequired(), Length(max=200)])
    funder = StringField("Funder", validators=[Optional(), Length(max=200)])
    starts_on = DateField("Starts on", validators=[InputRequired()])
    ends_on = DateField("Ends on", validators=[InputRequired()])
    threshold_hours = DecimalField(
        "Hours for an assisted enterprise", default=12, places=2,
        validators=[InputRequired(), NumberRange(min=0.25, max=1000)],
        description="ERDF in England counted an enterprise as supported from 12 hours.",
    )  # fmt: skip
    mfa_limit_gbp = IntegerField(
        "Subsidy limit over three financial years (£)", default=315_000,
        validators=[InputRequired(), NumberRange(min=0, max=100_000_000)],
        description="The UK's Minimal Financial Assistance limit: £315,000 as of 2026.",
    )  # fmt: skip


# One optional target per built-in indicator: target_assisted_enterprises, target_jobs_fte …
for _key, _title in BUILT_IN_INDICATORS:
    setattr(
        ProgrammeForm,
        TARGET_PREFIX + _key,
        DecimalField(
            f"Target: {_title}",
            places=1,
            validators=[Optional(), NumberRange(min=0, max=1_000_000)],
        ),  # fmt: skip
    )


class IndicatorForm(FlaskForm):
    title = StringField("Indicator", validators=[DataRequired(), Length(max=120)])
    target = DecimalField("Target", places=1, validators=[Optional(), NumberRange(0, 1_000_000)])


class NetworkForm(FlaskForm):
    name = StringField("Network name", validators=[DataRequired(), Length(max=120)])


class EventNetworkForm(FlaskForm):
    # No Optional(): it would skip the check that the value is one of the choices.
    network_id = SelectField("Network", coerce=str)


class DeclarationForm(FlaskForm):
    headcount_band = SelectField(
        "People employed (headcount)", choices=options([("", "Choose…"), *HEADCOUNT_BANDS.items()]),
        validators=[DataRequired(message="Choose a headcount band.")],
    )  # fmt: skip
    turnover_band = SelectField(
        "Annual turnover", choices=options([("", "Choose…"), *TURNOVER_BANDS.items()]),
        validators=[DataRequired(message="Choose a turnover band.")],
    )  # fmt: skip
    subsidies_gbp = IntegerField(
        "Subsidies received this financial year and the two before (£)",
        validators=[InputRequired(), NumberRange(min=0, max=1_000_000_000)],
        description="Grants, loans on soft terms and other public support; 0 if none.",
    )
    consent_to_name = BooleanField("We agree to be named in the programme's returns to its funder")
    signed_name = StringField(
        "Signed (type your full name)", validators=[DataRequired(), Length(min=2, max=120)]
    )
    signed_on = DateField("Date", validators=[InputRequired()])


CLAIM_KINDS = {
    ClaimKind.JOBS: "Jobs created",
    ClaimKind.PRODUCT: "A new product, process or service",
    ClaimKind.COLLABORATION: "A collaboration",
    ClaimKind.START_UP: "We are a start-up (incorporated during the programme)",
    ClaimKind.CUSTOM: "Another of the programme's indicators",
}


class ClaimForm(FlaskForm):
    kind = SelectField("What happened", choices=options(CLAIM_KINDS.items()))
    title = StringField(
        "Role, product or partner", validators=[Optional(), Length(max=200)],
        description="The role created, the product's name, or the partner's name.",
    )  # fmt: skip
    fte = DecimalField(
        "Jobs (full-time equivalent)", places=1, validators=[Optional(), NumberRange(0.1, 1000)]
    )
    novelty = SelectField(
        "New to", choices=options([("", "—"), *NOVELTY.items()]), validators=[Optional()]
    )
    partner_kind = SelectField(
        "Partner is", choices=options([("", "—"), *PARTNER_KINDS.items()]), validators=[Optional()]
    )
    indicator_id = SelectField("Indicator", coerce=str, choices=[], validators=[Optional()])
    count = IntegerField("How many", validators=[Optional(), NumberRange(1, 10_000)])
    occurred_on = DateField(
        "Date", validators=[InputRequired()],
        description="When the job started, it launched, the partnership began or you incorporated.",
    )  # fmt: skip
    description = TextAreaField(
        "Description", validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3}
    )
    evidence = FileField("Evidence (optional)", description="A PDF or an image, up to 4 MB.")


class ReviewForm(FlaskForm):
    decision = SelectField(
        "Decision", choices=options([("verified", "Verify"), ("rejected", "Reject")])
    )
    note = StringField("Note", validators=[Optional(), Length(max=1000)])


class EvidenceForm(FlaskForm):
    evidence = FileField("Add evidence", description="A PDF or an image, up to 4 MB.")
