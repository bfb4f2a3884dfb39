"""Questions an event asks on its registration form, and each registration's answers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column, updated_at_column


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    CONSENT = "consent"


KIND_LABELS = {
    QuestionKind.SHORT_TEXT: "Short text",
    QuestionKind.LONG_TEXT: "Long text",
    QuestionKind.SINGLE_CHOICE: "Single choice",
    QuestionKind.MULTIPLE_CHOICE: "Multiple choice",
    QuestionKind.YES_NO: "Yes / no",
    QuestionKind.CONSENT: "Consent (must be ticked)",
}
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


class RegistrationQuestion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    help_text: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    # Choice questions: the options in order; allow_other adds "Other" with a text box.
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    allow_other: Mapped[bool] = mapped_column(default=False)
    # Consent questions link their text: an address elsewhere, or terms kept here (Markdown).
    link_url: Mapped[str] = mapped_column(String(500), default="")
    terms_text: Mapped[str] = mapped_column(Text, default="")
    # Sensitive answers (health, access) are for organisers and the delegate (access needs
    # also for the door and a site visit's host: services.who_sees), and are deleted with the
    # delegate's account.
    sensitive: Mapped[bool] = mapped_column(default=False)
    # Empty: every ticket type of the event asks it.
    ticket_type_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # "dietary" or "access" for the presets, so the door and the summary can find them.
    preset: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()

    event = relationship("Event")

    def applies_to(self, ticket_type_id: int | None) -> bool:
        return not self.ticket_type_ids or ticket_type_id in self.ticket_type_ids


class RegistrationAnswer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("registration_question.id"), index=True)
    # A string (text, single choice, "yes"/"no"), a list of strings (multiple choice) or
    # true (consent given).
    value: Mapped[str | list | bool] = mapped_column(JSON)
    # What the delegate wrote when they chose "Other".
    other: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = updated_at_column()

    question = relationship("RegistrationQuestion")

    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)
