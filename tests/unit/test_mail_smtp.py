"""The mail layer against a real SMTP server (aiosmtpd on a free local port)."""

import smtplib
import socket

import pytest
from aiosmtpd.controller import Controller

from app import mail
from app.outbox.rules import ServerUnavailable


class Recorder:
    """Keeps what arrives; refuses one address the way a real server refuses a mailbox."""

    def __init__(self):
        self.received: list[tuple[str, list[str]]] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield recorder
    controller.stop()


def _messages(*addresses):
    return [mail.build_message(a, f"Hello {a}", "Body") for a in addresses]


def test_deliver_each_uses_one_connection_for_many_messages(app, smtp_server):
    outcomes = mail.deliver_each(_messages(*(f"d{n}@example.com" for n in range(25))))
    assert outcomes == [None] * 25
    assert len(smtp_server.received) == 25
    assert smtp_server.connections == 1
    assert smtp_server.received[0][1] == ["d0@example.com"]


def test_a_refused_address_fails_alone(app, smtp_server):
    batch = _messages("a@example.com", "refused@example.com", "b@example.com")
    outcomes = mail.deliver_each(batch)
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], smtplib.SMTPRecipientsRefused)
    assert [to for _, to in smtp_server.received] == [["a@example.com"], ["b@example.com"]]


def test_a_server_that_is_down_fails_every_message_without_raising(app):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    batch = _messages("a@example.com", "b@example.com")
    outcomes = mail.deliver_each(batch)
    assert [type(o) for o in outcomes] == [ServerUnavailable, ServerUnavailable]
    assert isinstance(outcomes[0].__cause__, ConnectionRefusedError)
    with pytest.raises(ServerUnavailable):
        mail.deliver(batch[0])  # a single delivery reports the failure to its caller


def test_deliver_over_smtp_sends_one_message(app, smtp_server):
    mail.deliver(_messages("solo@example.com")[0])
    assert [to for _, to in smtp_server.received] == [["solo@example.com"]]


def test_mail_sent_in_a_transaction_goes_out_after_commit_on_one_connection(app, smtp_server):
    from app.extensions import db

    mail.send_all(_messages("a@example.com", "b@example.com", "c@example.com"))
    assert smtp_server.received == []  # nothing before COMMIT
    db.session.commit()
    assert len(smtp_server.received) == 3 and smtp_server.connections == 1


def test_mail_sent_in_a_transaction_that_rolls_back_never_leaves(app, smtp_server):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.outbox.models import OutboxMessage

    mail.send(_messages("a@example.com")[0])
    db.session.rollback()
    db.session.commit()
    assert smtp_server.received == []
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0
