from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import FlaskForm
from app.formutil import options
from app.pillars import PILLARS

RATINGS = options(
    [("5", "Excellent"), ("4", "Good"), ("3", "Fair"), ("2", "Poor"), ("1", "Very poor")]
)


class FeedbackForm(FlaskForm):
    rating = RadioField("How useful was it for your business?", choices=RATINGS,
                        validators=[DataRequired(message="Choose a rating.")])  # fmt: skip
    recommend = RadioField(
        "Would you recommend it to another manufacturer?",
        choices=options([("yes", "Yes"), ("no", "No")]),
        validators=[DataRequired(message="Choose yes or no.")],
    )
    pillars = SelectMultipleField(
        "Where will your business act on what you learned?",
        choices=options(PILLARS.items()),
        description="Tick any that apply: the programme follows up with matching workshops.",
    )
    actions = TextAreaField(
        "What will you change?",
        validators=[Length(max=2000)],
        description="One or two concrete changes, e.g. “trial a kanban board in the paint shop”.",
        render_kw={"rows": 3},
    )
    comments = TextAreaField("Anything else?", validators=[Length(max=2000)],
                             render_kw={"rows": 3})  # fmt: skip
