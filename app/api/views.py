"""Organiser → API tokens: create (shown once), see last use, revoke."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import DateField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.api.models import ApiToken
from app.api.tokens import TokenError, create_api_token, revoke_api_token, tokens_of
from app.auth.roles import require_roles
from app.extensions import db
from app.forms import FlaskForm
from app.formutil import options
from app.timeutil import to_utc

bp = Blueprint("api_tokens", __name__, url_prefix="/organiser/api-tokens")
bp.before_request(require_roles("organiser"))


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)],
                       description="What it is for, e.g. “CRM sync”.")  # fmt: skip
    scopes = SelectMultipleField(
        "Scopes",
        choices=options(
            [
                ("read", "read: events, registrations, attendance, agenda"),
                ("write", "write: register, cancel, check in"),
            ]
        ),
        default=["read"],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message="Choose at least one scope.")],
    )
    expires_on = DateField("Expires on (optional)", validators=[Optional()])


class RevokeForm(FlaskForm):
    pass


@bp.route("", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    created = None
    status = 200
    if form.validate_on_submit():
        expires_at: datetime | None = None
        if form.expires_on.data:
            expires_at = to_utc(datetime.combine(form.expires_on.data, time(23, 59, 59)))
        try:
            _, created = create_api_token(
                current_user, current_user, name=form.name.data, scopes=form.scopes.data,
                expires_at=expires_at,
            )  # fmt: skip
        except TokenError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            status = 422
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    response = render_template(
        "api/tokens.html", form=form, revoke=RevokeForm(), tokens=tokens_of(current_user),
        created=created,
    )  # fmt: skip
    # The new token is on this page once: keep it out of every cache.
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    try:
        revoke_api_token(token, current_user)
    except TokenError as exc:
        abort(403, str(exc))
    db.session.commit()
    flash(f"Token “{token.name}” revoked: it no longer works.", "success")
    return redirect(url_for(".tokens"), code=303)
