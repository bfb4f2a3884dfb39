"""The shape of organisers' question input; the rules live in services.py."""

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import FlaskForm
from app.formutil import options
from app.questions.models import KIND_LABELS


class QuestionForm(FlaskForm):
    label = StringField("Question", validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        "Kind of answer", choices=options((k.value, v) for k, v in KIND_LABELS.items())
    )
    help_text = TextAreaField(
        "Help text", validators=[Optional(), Length(max=1000)], render_kw={"rows": 2},
        description="Shown under the question.",
    )  # fmt: skip
    required = BooleanField("An answer is required")
    choices = TextAreaField(
        "Choices", validators=[Optional(), Length(max=3000)], render_kw={"rows": 5},
        description="Choice questions: one choice per line.",
    )  # fmt: skip
    allow_other = BooleanField("Offer “Other” with a text box (choice questions)")
    link_url = StringField(
        "Link to the terms",
        validators=[Optional(), Length(max=500)],
        description="Consent questions: the address of the text they agree to, or write it "
        "below instead.",
    )
    terms_text = TextAreaField(
        "Terms (Markdown)", validators=[Optional(), Length(max=20000)], render_kw={"rows": 5},
        description="Consent questions: shown on a page of its own, linked from the form.",
    )  # fmt: skip
    sensitive = BooleanField(
        "Sensitive (health, access): only organisers see the answers, and they are deleted "
        "with the delegate's account"
    )
    ticket_type_ids = SelectMultipleField(
        "Ask only with these tickets",
        coerce=int,
        validate_choice=False,  # the service refuses another event's ticket types
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description="Leave all unticked to ask everyone.",
    )


class CutoffForm(FlaskForm):
    until = DateTimeLocalField(
        "Delegates can change their answers until (UK time)",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="Leave empty: until the event starts.",
    )
