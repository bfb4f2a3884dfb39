"""Factories for registration tests."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from app.auth.models import Organisation
from app.benchmark.models import BenchmarkResponse
from app.extensions import db
from app.registration.models import Registration
from app.timeutil import utcnow
from tests.factories import make_organisation, make_user


def make_benchmark(
    organisation: Organisation, submitted_at: datetime | None = None, user=None
) -> BenchmarkResponse:
    """A submitted benchmark (no signal sent: tests that need the signal send it)."""
    user = user or make_user(organisation=organisation)
    response = BenchmarkResponse(
        public_id=secrets.token_hex(16),
        organisation_id=organisation.id,
        submitted_by_id=user.id,
        status="submitted",
        questionnaire_version="1",
        submitted_at=submitted_at or utcnow() - timedelta(days=1),
    )
    db.session.add(response)
    db.session.flush()
    return response


def make_delegate(benchmark: bool = True, **kw):
    """A delegate whose business has (or has not) a benchmark from the last year."""
    org = kw.pop("organisation", None)
    if org is None:  # the first member of a new business is its admin
        org = make_organisation()
        kw.setdefault("is_business_admin", True)
    user = make_user(organisation=org, **kw)
    if benchmark:
        make_benchmark(org, user=user)
    return user


def registered_user(event, name: str | None = None, status: str = "confirmed"):
    """A new user holding a registration for `event` in `status` (flushed); returns the user."""
    user = make_user(name=name) if name else make_user()
    db.session.add(
        Registration(event=event, user=user, ticket_type=event.ticket_types[0], status=status,
                     active_user_id=user.id)
    )  # fmt: skip
    db.session.flush()
    return user
