"""The shape of registration input; the rules live in services.py."""

from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from app.forms import FlaskForm


class RegisterForm(FlaskForm):
    # Choices are the event's public ticket types; an id from elsewhere gets its own clear
    # message from the view (not "Not a valid choice").
    ticket_type = RadioField(
        "Ticket", coerce=int, validate_choice=False, validators=[InputRequired("Choose a ticket.")]
    )
    organisation = StringField(
        "Business name",
        validators=[Optional(), Length(max=200)],
        description="The business you work for. Colleagues share one benchmark.",
    )
    companies_house_number = StringField(
        "Companies House number (optional)", validators=[Optional(), Length(min=6, max=10)]
    )
    join_waitlist = BooleanField("If the event is full, put me on the waiting list")


class ActionForm(FlaskForm):
    """A button that changes something: CSRF token and where to go back to."""

    next = HiddenField()


class TransferForm(FlaskForm):
    email = EmailField(
        "Your colleague's email", validators=[DataRequired(), Email(), Length(max=254)]
    )
    name = StringField(
        "Their full name",
        validators=[Optional(), Length(max=120)],
        description="Needed when they have no account yet: we make one and tell them how to "
        "sign in.",
    )


class ColleagueForm(TransferForm):
    ticket_type = SelectField("Ticket", coerce=int, validators=[InputRequired()])
    join_waitlist = BooleanField("If the event is full, put them on the waiting list")
