"""The ticket QR image: only its owner or an organiser, never before confirmation."""

import io

import zxingcpp
from PIL import Image

from app.extensions import db
from app.registration import services
from tests.factories import make_event, make_user, organiser
from tests.factories_registration import make_delegate


def _decoded(response) -> list[str]:
    """What a real decoder reads from the PNG the response carries."""
    assert (response.status_code, response.mimetype) == (200, "image/png")
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))]


def _confirmed():
    event = make_event()
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    return user, registration


def test_owner_gets_a_private_png_that_decodes_to_the_secret(client, login):
    user, registration = _confirmed()
    login(user)
    db.session.commit()
    response = client.get(f"/tickets/{registration.ticket_secret}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"
    image = Image.open(io.BytesIO(response.data))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [registration.ticket_secret]
    again = client.get(
        f"/tickets/{registration.ticket_secret}/qr.png",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_typed_code_in_lower_case_with_spaces_still_finds_the_ticket(client, login):
    user, registration = _confirmed()
    login(user)
    db.session.commit()
    typed = registration.ticket_secret.lower()
    response = client.get(f"/tickets/%20{typed}%20/qr.png")
    assert _decoded(response) == [registration.ticket_secret]  # the canonical upper-case code


def test_someone_elses_ticket_is_not_found(client, login):
    _, registration = _confirmed()
    login(make_delegate())
    db.session.commit()
    response = client.get(f"/tickets/{registration.ticket_secret}/qr.png")
    assert response.status_code == 404
    assert client.get("/tickets/JRN1-NOSUCHTICKET/qr.png").status_code == 404


def test_organiser_may_see_any_ticket(client, login):
    _, registration = _confirmed()
    _, other = _confirmed()
    login(organiser())
    db.session.commit()
    for ticket in (registration, other):
        response = client.get(f"/tickets/{ticket.ticket_secret}/qr.png")
        assert _decoded(response) == [ticket.ticket_secret]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    _, registration = _confirmed()
    db.session.commit()
    response = client.get(f"/tickets/{registration.ticket_secret}/qr.png")
    assert response.status_code == 302
    assert "/auth/login" in response.location


def test_cancelled_ticket_has_no_qr_any_more(client, login):
    user, registration = _confirmed()
    services.cancel_registration(registration, user)
    login(user)
    db.session.commit()
    assert registration.ticket_secret is not None  # kept, so the door can say "cancelled"
    assert client.get(f"/tickets/{registration.ticket_secret}/qr.png").status_code == 404


def test_no_ticket_before_the_benchmark(client, login):
    event = make_event()
    user = make_user(organisation=make_delegate(benchmark=False).organisation)
    registration = services.register_delegate(user, event, event.ticket_types[0])
    login(user)
    db.session.commit()
    assert registration.ticket_secret is None
    assert "qr.png" not in client.get("/me/tickets").text
