"""Shape of payment input."""

from wtforms import BooleanField
from wtforms.validators import DataRequired

from app.forms import FlaskForm


class RefundForm(FlaskForm):
    confirm = BooleanField(
        "I have checked the delegate and amount: refund the full payment and free the seat",
        validators=[DataRequired("Tick the box to confirm the refund.")],
    )
