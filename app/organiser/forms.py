from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.events.models import EventKind
from app.forms import FlaskForm
from app.formutil import options
from app.pillars import PILLARS

DT_FORMAT = "%Y-%m-%dT%H:%M"
KIND_LABELS = {
    EventKind.CONFERENCE: "Conference",
    EventKind.WORKSHOP: "Workshop",
    EventKind.SITE_VISIT: "Site visit",
}


class EventForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Web address",
        validators=[
            Optional(),
            Length(max=80),
            Regexp(r"^[a-z0-9-]+$", message="Use a-z, 0-9, -."),
        ],
        description="The part after /events/. Leave empty to make one from the title.",
    )
    kind = SelectField(
        "Kind", choices=options((k.value, label) for k, label in KIND_LABELS.items())
    )
    summary = StringField("One-line summary", validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=20000)], description="Markdown.",
        render_kw={"rows": 8},
    )  # fmt: skip
    venue_id = SelectField("Venue", coerce=int, validators=[Optional()])
    starts_at = DateTimeLocalField(
        "Starts (UK time)", format=DT_FORMAT, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField("Ends (UK time)", format=DT_FORMAT, validators=[DataRequired()])
    capacity = IntegerField(
        "Capacity", validators=[Optional(), NumberRange(min=1, max=100000)],
        description="Places in total. Empty for no limit.",
    )  # fmt: skip
    registration_opens_at = DateTimeLocalField(
        "Registration opens", format=DT_FORMAT, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        "Registration closes", format=DT_FORMAT, validators=[Optional()]
    )
    requires_benchmark = BooleanField("Delegates' businesses must complete the benchmark")
    host_organisation_id = SelectField("Host business (site visits)", coerce=int)
    pillars = SelectMultipleField("Themes (benchmark pillars)", choices=options(PILLARS.items()))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The event must end after it starts.")


class VenueForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])


class RoomForm(FlaskForm):
    name = StringField("Room name", validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField("Seats", validators=[Optional(), NumberRange(min=1, max=100000)])


class TicketTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    price = DecimalField(
        "Price (£)", places=2, default=0, validators=[Optional(), NumberRange(min=0, max=10000)],
        description="0 for a free ticket.",
    )  # fmt: skip
    capacity = IntegerField("Capacity", validators=[Optional(), NumberRange(min=1, max=100000)])
    sales_start = DateTimeLocalField("Sales start", format=DT_FORMAT, validators=[Optional()])
    sales_end = DateTimeLocalField("Sales end", format=DT_FORMAT, validators=[Optional()])
    hidden = BooleanField("Hidden (only organisers can issue it)")


class AddDelegateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(
        "Full name",
        validators=[Optional(), Length(max=120)],
        description="Needed when this email has no account yet: one is created and the "
        "delegate is emailed how to choose a password.",
    )
    organisation = StringField(
        "Business name",
        validators=[Optional(), Length(max=200)],
        description="For a new account: the business they come from.",
    )
    ticket_type = SelectField("Ticket type", coerce=int, validators=[InputRequired()])
    complimentary = BooleanField(
        "Complimentary: nothing to pay, and confirmed now without waiting for the benchmark"
    )


class StatusForm(FlaskForm):
    """A button-only form: the CSRF token is its only field."""


class DuplicateEventForm(FlaskForm):
    title = StringField("Title of the copy", validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(
        "First day of the copy",
        validators=[InputRequired(message="Choose the date the copy starts.")],
        description="Every time in the event, its ticket sales and its agenda moves by the "
        "same number of days, at the same time of day.",
    )
