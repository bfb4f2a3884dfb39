"""Shape of the door's form input."""

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import FlaskForm


class DoorStaffForm(FlaskForm):
    email = EmailField(
        "Door staff email",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description="An existing door-staff account, or a new address.",
    )
    name = StringField(
        "Their name",
        validators=[Optional(), Length(max=120)],
        description="For a new address: we make a door-staff account and email them how to "
        "choose a password and open the scanner.",
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""
