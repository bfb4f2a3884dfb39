"""Collects the organiser views; each area keeps its own module."""

from app.organiser import (  # noqa: F401  (each module adds its views to bp)
    agenda_views,
    badges_views,
    benchmark_views,
    bookings_views,
    bp,
    businesses_views,
    checkin_views,
    emails_views,
    events_views,
    feedback_views,
    messages_views,
    payments_views,
    questions_views,
    registrations_views,
    speakers_views,
)

__all__ = ["bp"]
