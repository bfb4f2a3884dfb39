"""Shape of the door's form input."""

from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from app.forms import FlaskForm


class DoorStaffForm(FlaskForm):
    email = EmailField(
        "Door staff email",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description="The email of a door staff account (create one with "
        "flask --app wsgi create-user EMAIL --role door_staff).",
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""
