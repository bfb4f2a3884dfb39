"""Column helpers shared by the models."""


def test_a_composed_email_subject_longer_than_its_column_is_clipped_not_refused(app):
    """An email subject built from a 200-character event title still fits the log."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.registration.models import EmailLog

    long_subject = "Changed: " + "Ü" * 200 + " is now on Mon 1 Dec 2099, 00:00"
    db.session.add(EmailLog(to="a@example.com", subject=long_subject, kind="event_changed"))
    db.session.execute(
        insert(EmailLog), [{"to": "b@example.com", "subject": long_subject, "kind": "x"}]
    )
    db.session.commit()
    subjects = db.session.execute(select(EmailLog.subject)).scalars().all()
    assert all(len(s) == 200 and s.endswith("…") and s.startswith("Changed: Ü") for s in subjects)
