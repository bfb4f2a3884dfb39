"""The mail layer against a real SMTP server (aiosmtpd on a free local port)."""

import socket

import pytest
from aiosmtpd.controller import Controller

from app import mail


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


def test_send_all_uses_one_connection_for_many_messages(app, smtp_server):
    with app.app_context():
        failed = mail.send_all(_messages(*(f"d{n}@example.com" for n in range(25))))
    assert failed == []
    assert len(smtp_server.received) == 25
    assert smtp_server.connections == 1
    assert smtp_server.received[0][1] == ["d0@example.com"]


def test_a_refused_address_fails_alone(app, smtp_server):
    with app.app_context():
        batch = _messages("a@example.com", "refused@example.com", "b@example.com")
        failed = mail.send_all(batch)
    assert [m["To"] for m in failed] == ["refused@example.com"]
    assert [to for _, to in smtp_server.received] == [["a@example.com"], ["b@example.com"]]


def test_a_server_that_is_down_fails_every_message_without_raising(app):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    with app.app_context():
        batch = _messages("a@example.com", "b@example.com")
        assert mail.send_all(batch) == batch
        with pytest.raises(OSError):
            mail.send(batch[0])  # a single send still reports the failure to its caller


def test_send_over_smtp_delivers_one_message(app, smtp_server):
    with app.app_context():
        mail.send(_messages("solo@example.com")[0])
    assert [to for _, to in smtp_server.received] == [["solo@example.com"]]


def test_mail_queued_in_a_transaction_goes_out_after_commit_on_one_connection(app, smtp_server):
    from app.extensions import db
    from app.registration import emails

    with app.app_context():
        for message in _messages("a@example.com", "b@example.com", "c@example.com"):
            emails.queue(message)
        assert smtp_server.received == []  # nothing before COMMIT
        db.session.commit()
    assert len(smtp_server.received) == 3 and smtp_server.connections == 1
