"""The ticket QR code decodes, with a real decoder, to exactly the ticket secret."""

import io

import zxingcpp
from PIL import Image

from app.registration.qr import qr_png
from app.registration.tickets import looks_like_secret, new_ticket_secret, normalise_secret


def test_qr_png_decodes_to_the_secret():
    secret = new_ticket_secret()
    png = qr_png(secret)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [secret]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    # Error correction Q (or better) and large enough modules for a phone camera.
    assert results[0].ec_level in ("Q", "H")
    assert image.size[0] >= 300


def test_qr_png_is_the_image_qrcode_itself_would_draw():
    import qrcode
    from PIL import ImageChops
    from qrcode.constants import ERROR_CORRECT_Q

    secret = new_ticket_secret()
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=10, border=4)
    code.add_data(secret)
    drawn = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
    ours = Image.open(io.BytesIO(qr_png(secret))).convert("1")
    assert ours.size == drawn.size == (370, 370)
    assert ImageChops.difference(ours, drawn).getbbox() is None  # not one pixel differs


def test_qr_still_decodes_when_shrunk_like_a_phone_photo():
    secret = new_ticket_secret()
    image = Image.open(io.BytesIO(qr_png(secret))).convert("L").resize((160, 160))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [secret]


def test_ticket_secret_shape_and_randomness():
    secrets_ = {new_ticket_secret() for _ in range(200)}
    assert len(secrets_) == 200
    assert all(looks_like_secret(s) and len(s) == 37 and "=" not in s for s in secrets_)
    assert normalise_secret("  jrn1-abc \n") == "JRN1-ABC"
    assert not looks_like_secret("JRN1-" + "1" * 32)  # 0, 1, 8, 9 are not base32
