"""The base of every form in the app: Flask-WTF's FlaskForm, for form data only, with
surrounding spaces trimmed from text (a pasted ' ann@example.com ' is still an email)."""

from flask import abort, request
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import PasswordField, StringField

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class FlaskForm(_FlaskForm):
    """Browsers post forms as form data. Flask-WTF would also read a JSON body into the
    fields, where numbers, lists and objects break WTForms' fields: refuse JSON here."""

    class Meta(_FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if request.method in SUBMIT_METHODS and request.is_json:
                abort(415, "This form takes form data, not JSON.")
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            # Every text field but passwords, whose spaces are the user's own.
            cls = unbound_field.field_class
            if issubclass(cls, StringField) and not issubclass(cls, PasswordField):
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": (_strip, *filters)}
            return super().bind_field(form, unbound_field, options)


def _strip(value):
    return value.strip() if isinstance(value, str) else value
