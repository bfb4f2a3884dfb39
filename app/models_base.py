"""Column helpers shared by every domain's models."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.timeutil import utcnow


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime, default=utcnow, nullable=False)


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ClippedString(TypeDecorator):
    """A VARCHAR(length) that shortens what is too long (ending it with "…") instead of
    failing: for text the app composes itself, such as an email subject built from an event
    title, which PostgreSQL would refuse and SQLite would store whole."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        limit = self.impl.length
        if isinstance(value, str) and limit and len(value) > limit:
            return value[: limit - 1] + "…"
        return value
