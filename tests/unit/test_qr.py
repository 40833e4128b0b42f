"""QR codes of links: what a phone's camera reads from the PNG, the quiet zone around it, and a
data mask chosen for each link by the standard's penalty evaluation (not one fixed mask)."""

from __future__ import annotations

import base64
import io
import random

import zxingcpp
from PIL import Image

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


def test_the_code_sits_in_a_white_quiet_zone_of_four_modules_scale_pixels_each() -> None:
    modules = len(qr_modules(LINK))
    image = Image.open(io.BytesIO(qr_png(LINK, scale=5))).convert("L")
    side = (modules + 2 * BORDER) * 5

    assert image.size == (side, side)
    quiet = BORDER * 5
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
