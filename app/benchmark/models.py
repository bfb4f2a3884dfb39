"""Benchmark responses: one row per assessment of an organisation (drafts included)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column, updated_at_column


class BenchmarkResponse(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Results URLs use this secret, never the sequential id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)  # draft|submitted
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    scoring_version: Mapped[str | None] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # question key -> 0..4 or None
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    pillar_scores: Mapped[dict | None] = mapped_column(JSON)
    overall_score: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(20))
    gva_per_fte: Mapped[float | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # When the business's delegates were told this benchmark is about to run out (once).
    renewal_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation = relationship("Organisation")
    submitted_by = relationship("User")
