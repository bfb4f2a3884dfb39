from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.forms import FlaskForm

# What the form's buttons ask for; a form posted without one (an older page) sends.
ACTIONS = ("preview", "test", "schedule", "send")


class ScheduledAnnouncementForm(FlaskForm):
    """What a scheduled announcement says, to whom and when: all that can change while it
    waits."""

    audience = SelectField("Send to", validators=[DataRequired()])
    subject = StringField("Subject", validators=[DataRequired(), Length(max=150)])
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=20_000)],
        render_kw={"rows": 8},
        description="Markdown: **bold**, *italic*, lists and links. Each delegate is greeted "
        "by name, and the email ends with a link to the event.",
    )
    send_at = DateTimeLocalField("Send at", format="%Y-%m-%dT%H:%M", validators=[Optional()])


class AnnouncementForm(ScheduledAnnouncementForm):
    """A new announcement: sent now or scheduled, once its author has ticked the box."""

    confirm = BooleanField("I have checked the message and the recipients")
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
