"""The base of every form in the app: Flask-WTF's FlaskForm, for form data only."""

from flask import abort, request
from flask_wtf import FlaskForm as _FlaskForm

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class FlaskForm(_FlaskForm):
    """Browsers post forms as form data. Flask-WTF would also read a JSON body into the
    fields, where numbers, lists and objects break WTForms' fields: refuse JSON here."""

    class Meta(_FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if request.method in SUBMIT_METHODS and request.is_json:
                abort(415, "This form takes form data, not JSON.")
            return super().wrap_formdata(form, formdata)
