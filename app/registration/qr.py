"""The ticket QR code: a pure builder, secret in, PNG bytes out."""

from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q


def qr_png(secret: str, box_size: int = 10) -> bytes:
    """A PNG of the QR code for `secret`. Error correction Q (25%) survives a scuffed phone
    screen or a crumpled printout; 10-pixel modules and the standard 4-module quiet zone give
    a 370-pixel image (a ticket secret's 29 modules) that door scanners read at arm's length."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=4)
    code.add_data(secret)
    code.make(fit=True)
    # One pixel per module, then scaled up: qrcode's own image factory draws every dark
    # module as a rectangle, about a fifth of a confirmation email's CPU in the worker.
    matrix = code.get_matrix()  # the quiet zone included
    size = len(matrix)
    image = Image.new("1", (size, size))
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((size * box_size, size * box_size), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(secret: str) -> str:
    """The same code as an SVG element, sharp at any print size (name badges)."""
    from qrcode.image.svg import SvgPathImage

    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_Q, border=4, image_factory=SvgPathImage, box_size=10
    )
    code.add_data(secret)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")
