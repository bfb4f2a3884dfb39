"""Before an announcement goes: a preview of exactly what the first person in the group will
get, and a test copy of it to the organiser's own inbox (through the outbox, marked as a test).
Neither records an announcement; the preview writes nothing at all."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from email.message import EmailMessage

from app import mail
from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.messages.services import MessageError, compose, first_in_group

TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Preview:
    message: EmailMessage
    first: User | None  # whose details fill it in (None: the group is empty, so the author's)

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()


def preview_announcement(
    actor: User, event: Event, audience: str, subject: str, body: str
) -> Preview:
    """The email as the first person in the group (by name) will receive it."""
    person, session = first_in_group(event, audience)
    first = db.session.get(User, person.user_id) if person else None
    user = first or actor
    message = compose(
        to=user.email, user=user, event=event, session=session, subject=subject, body=body,
        sender=actor,
    )  # fmt: skip
    return Preview(message, first)


def send_test(actor: User, event: Event, audience: str, subject: str, body: str) -> Preview:
    """Queue the preview's email to the organiser alone, its subject marked as a test. The
    preview returned is left as the first person gets it (the page shows it beside the form)."""
    if not actor.is_organiser:
        raise MessageError("Only organisers send test announcements.")
    preview = preview_announcement(actor, event, audience, subject, body)
    message = copy.deepcopy(preview.message)
    del message["To"], message["Subject"]
    message["To"] = actor.email
    message["Subject"] = TEST_PREFIX + subject
    message["X-Journey-Test"] = "yes"  # a filter can tell test copies from the real thing
    mail.send(message, kind="announcement_test", user_id=actor.id, event_id=event.id)
    return preview
