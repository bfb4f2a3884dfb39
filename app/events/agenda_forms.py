"""Forms for sessions and speakers: the shape of the input only (rules live in the services)."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.events.agenda_services import KIND_LABELS, MAX_SPEAKERS
from app.forms import FlaskForm
from app.formutil import options
from app.pillars import PILLARS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        "Kind", choices=options((k.value, label) for k, label in KIND_LABELS.items())
    )
    day = DateField("Day", validators=[DataRequired(message="Choose the day.")])
    starts = TimeField("Starts (UK time)", validators=[DataRequired(message="Enter a time.")])
    ends = TimeField("Ends (UK time)", validators=[DataRequired(message="Enter a time.")])
    room_id = SelectField("Room", coerce=int)
    track = StringField(
        "Track", validators=[Optional(), Length(max=80)], render_kw={"list": "tracks"}
    )
    capacity = IntegerField(
        "Seats to book", validators=[Optional(), NumberRange(min=1, max=10000)],
        description="For workshops that delegates book. Empty: no booking.",
    )  # fmt: skip
    pillars = CheckboxesField("Themes", choices=options(PILLARS.items()))
    speakers = FieldList(
        SelectField("Speaker", coerce=int, validate_choice=False),
        min_entries=MAX_SPEAKERS,
        max_entries=MAX_SPEAKERS,
    )
    abstract = TextAreaField(
        "Abstract", validators=[Optional(), Length(max=5000)], render_kw={"rows": 5}
    )


class SpeakerForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    job_title = StringField("Job title", validators=[Optional(), Length(max=120)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=200)])
    bio = TextAreaField(
        "Biography", validators=[Optional(), Length(max=10000)], render_kw={"rows": 6},
        description="Markdown: **bold**, *italic*, [links](https://…), lists.",
    )  # fmt: skip
    photo = FileField(
        "Photo", description="JPEG, PNG, WebP or GIF, up to 2 MB. We resize it to 400 pixels."
    )
    remove_photo = BooleanField("Remove the current photo")
    links = TextAreaField(
        "Links", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3},
        description="One a line: Label | https://…",
    )  # fmt: skip


class OrganiserSpeakerForm(SpeakerForm):
    slug = StringField(
        "Web address",
        validators=[
            Optional(), Length(max=80), Regexp(r"^[a-z0-9-]+$", message="Use a-z, 0-9, -.")
        ],
        description="The part after /speakers/. Empty: made from the name.",
    )  # fmt: skip
    user_email = StringField(
        "Speaker's account (email)",
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        description="Lets the speaker edit this profile themselves. Empty: no account.",
    )
