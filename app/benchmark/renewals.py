"""Reminding a business that its benchmark is about to run out.

A benchmark counts for twelve months. A month before the latest one of a business runs out,
its delegates are emailed once: re-taking it keeps their registrations flowing and shows how
far the business has moved since its baseline (the programme's measure of improvement). Sent
by `expire-holds`; each benchmark is claimed with a conditional UPDATE first, so two machines
running it at once send one reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from app.auth.models import Role, User
from app.benchmark.models import BenchmarkResponse
from app.benchmark.services import SUBMITTED, VALID_FOR, baseline
from app.extensions import db
from app.registration.emails import send_templated, url
from app.timeutil import utcnow

NOTICE = timedelta(days=30)


def due_renewals(now: datetime) -> list[int]:
    """Latest benchmarks of their business that run out within NOTICE, not yet reminded."""
    later = aliased(BenchmarkResponse)
    return list(
        db.session.execute(
            select(BenchmarkResponse.id).where(
                BenchmarkResponse.status == SUBMITTED,
                BenchmarkResponse.renewal_reminded_at.is_(None),
                BenchmarkResponse.submitted_at <= now - (VALID_FOR - NOTICE),
                BenchmarkResponse.submitted_at > now - VALID_FOR,
                ~exists().where(
                    later.organisation_id == BenchmarkResponse.organisation_id,
                    later.status == SUBMITTED,
                    later.submitted_at > BenchmarkResponse.submitted_at,
                ),
            )
        ).scalars()
    )


def claim(response_ids: list[int], now: datetime) -> list[int]:
    """Mark these as reminded unless another machine already did; the ids this call marked."""
    if not response_ids:
        return []
    return list(
        db.session.execute(
            update(BenchmarkResponse)
            .where(
                BenchmarkResponse.id.in_(response_ids),
                BenchmarkResponse.renewal_reminded_at.is_(None),
            )
            .values(renewal_reminded_at=now)
            .returning(BenchmarkResponse.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )


def send_renewal_reminders(now: datetime | None = None) -> int:
    """Email the delegates of every business whose benchmark runs out within NOTICE (after
    COMMIT); returns how many people were emailed. Idempotent."""
    now = now or utcnow()
    sent = 0
    for response_id in claim(due_renewals(now), now):
        response = db.session.get(BenchmarkResponse, response_id)
        organisation = response.organisation
        first = baseline(organisation.id)
        members = db.session.execute(
            select(User).where(
                User.organisation_id == organisation.id,
                User.role == Role.DELEGATE,
                User.active.is_(True),
            )
        ).scalars()
        for user in members:
            send_templated(
                user,
                f"Time to renew {organisation.name}'s productivity benchmark",
                "benchmark/email/renewal",
                "benchmark_renewal",
                organisation=organisation,
                response=response,
                valid_until=response.submitted_at + VALID_FOR,
                baseline=first if first is not None and first.id != response.id else None,
                benchmark_url=url("benchmark.index"),
                results_url=url("benchmark.results", public_id=response.public_id),
            )
            sent += 1
    db.session.flush()
    return sent
