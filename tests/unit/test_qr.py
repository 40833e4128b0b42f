"""QR codes of links: what a phone's camera reads from the PNG (the invitation e-mail's too), the
quiet zone around it, and a data mask chosen for each link by the standard's penalty evaluation
(not one fixed mask): the very symbol zint's own evaluation draws."""

from __future__ import annotations

import base64
import io
import random

import pytest
import zxingcpp
from PIL import Image

from bot.enrollment.links import EMAIL_QR_SCALE, QR_CONTENT_ID, invitation_with_qr
from bot.integrations.mail.port import OutgoingEmail
from bot.qr import BORDER, qr_modules, qr_png

LINK = "https://helpdesk.msp.example/enroll/9IWWwXEYUgt-UkGpziROo_D790jvnwXdiXDhqzu4GI4"


def read(png: bytes) -> zxingcpp.Barcode:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return code


def test_the_png_decodes_to_the_link_at_error_correction_m() -> None:
    code = read(qr_png(LINK, scale=5))

    assert code.text == LINK
    assert code.extra["ECLevel"] == "M"


def test_the_invitation_emails_image_decodes_to_its_link() -> None:
    email = OutgoingEmail(to="jane@example.com", subject="Invitation", text="-", html="-", message_id="m1")

    [image] = invitation_with_qr(email, LINK).inline_images

    assert image.content_id == QR_CONTENT_ID
    assert read(image.data).text == LINK
    width, height = Image.open(io.BytesIO(image.data)).size
    assert width == height == (len(qr_modules(LINK)) + 2 * BORDER) * EMAIL_QR_SCALE


@pytest.mark.parametrize("scale", [5, 8])
def test_the_code_sits_in_a_white_quiet_zone_of_four_modules_scale_pixels_each(scale: int) -> None:
    modules = len(qr_modules(LINK))
    image = Image.open(io.BytesIO(qr_png(LINK, scale=scale))).convert("L")
    side = (modules + 2 * BORDER) * scale

    assert image.size == (side, side)
    quiet = BORDER * scale
    edges = [
        image.crop((0, 0, side, quiet)),
        image.crop((0, side - quiet, side, side)),
        image.crop((0, 0, quiet, side)),
        image.crop((side - quiet, 0, side, side)),
    ]
    assert all(edge.getextrema() == (255, 255) for edge in edges)
    # The finder pattern's dark corner starts right inside the quiet zone.
    assert image.getpixel((quiet, quiet)) == 0
    assert image.getpixel((quiet - 1, quiet - 1)) == 255


def test_each_link_gets_the_mask_its_penalty_evaluation_chooses() -> None:
    # ISO/IEC 18004 7.8.3: the mask with the lowest penalty score is selected for each symbol, so
    # different links end up with different masks, all eight of them possible (a fixed mask, or
    # a shortcut trying only some of them, would show one or four).
    # The links are drawn from a seeded generator: random enough to need every mask, and the
    # same 120 on every run, so the test reads the same images each time.
    tokens = random.Random(18004)
    links = [
        f"{LINK[:36]}{base64.urlsafe_b64encode(tokens.randbytes(32)).decode().rstrip('=')}"
        for _ in range(120)
    ]
    masks = {read(qr_png.__wrapped__(link, scale=2)).extra["DataMask"] for link in links}

    assert len(masks) >= 6
    assert masks - {0, 2, 4, 7}


def test_the_symbol_is_the_one_zints_own_mask_evaluation_draws() -> None:
    # The mask is chosen here rather than by zint (bot/qr_masks.py): for links of every length an
    # invitation or a page may have (symbols of 25 to 57 modules), the result is module for
    # module what zint draws when it evaluates the eight masks itself.
    tokens = random.Random(7835)
    links = [
        f"{LINK[:36]}{base64.urlsafe_b64encode(tokens.randbytes(tokens.randrange(1, 120))).decode()}"
        for _ in range(150)
    ]

    drawn = [qr_modules(link) for link in links]

    for link, rows in zip(links, drawn, strict=True):
        barcode = zxingcpp.create_barcode(link, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        pixels = bytes(memoryview(barcode.to_image(scale=1, add_quiet_zones=False)))  # type: ignore[arg-type]
        assert b"".join(rows) == pixels, link
    assert len({len(rows) for rows in drawn}) >= 6
