"""Benchmark forms: the shape of input only. Answers and metrics are checked by
questionnaire.validate_answers / validate_metrics, since their fields come from the data file."""

from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from app.benchmark.sic import SIC_DIVISIONS, SIZE_BANDS
from app.forms import FlaskForm
from app.formutil import options


class OrganisationForm(FlaskForm):
    name = StringField(
        "Business name",
        validators=[Optional(), Length(max=200)],
        description="Colleagues from the same business share one benchmark.",
    )
    companies_house_number = StringField(
        "Companies House number (optional)",
        validators=[Optional(), Length(max=12)],
        description="Helps us match you with colleagues who have already signed up.",
    )
    # Choices are checked by the service, with a message of its own.
    sector = SelectField(
        "Sector (SIC division)",
        choices=options(
            [("", "— choose —")]
            + [(code, f"{code} · {title}") for code, title in SIC_DIVISIONS.items()]
        ),
        validate_choice=False,
    )
    size_band = SelectField(
        "Size (full-time equivalent employees)",
        choices=options([("", "— choose —"), *SIZE_BANDS.items()]),
        validate_choice=False,
    )
