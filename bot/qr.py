"""QR codes of links: PNG bytes for e-mails (inline images) and for GET /enroll/qr.png.

The symbol is encoded by zint (through zxing-cpp) with data mask 0, and the mask is chosen by the
penalty rules of ISO/IEC 18004 §7.8.3 in bot/qr_masks.py: all eight evaluated, the lowest score
kept, as the standard requires and as zint itself would (zint's own evaluation costs five times
as much). Every invitation e-mail carries the code of its own link, so this runs once per e-mail:
about 0.1 ms in all, where a pure-Python encoder spends several on the mask evaluation alone. The
PNG (1-bit greyscale, about a kilobyte) is written here.
"""

from __future__ import annotations

import base64
import functools
import math
import struct
import zlib
from typing import Any

import zxingcpp

from bot.qr_masks import MASKS, MaskSet

# Error correction M survives a smudged screen; 6 pixels a module scans from across a desk, and
# the four-module quiet zone is what the QR standard asks for around the code.
SCALE = 6
BORDER = 4
ERROR_CORRECTION = "M"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# zxing-cpp draws dark modules as 0 and light ones as 255 (anything not dark is light).
_MODULE_LETTERS = b"d" + b"l" * 255  # a bytes.translate() table: 0 -> "d", the rest -> "l"
_MODULE_BYTES = b"\x00" + b"\xff" * 255  # 0 (dark) -> eight dark pixels, the rest -> eight light
# The image is made of a few distinct lines repeated: the fastest level compresses it to about a
# kilobyte in a fifth of the time of the default level, which saves a few hundred bytes.
COMPRESSION = 1
# By symbol size and error correction level, what turns mask 0 into each of the eight.
_MASK_SETS: dict[tuple[int, str], MaskSet] = {}


def qr_modules(text: str) -> list[bytes]:
    """The symbol's rows, one byte a module (0 dark, 255 light), without the quiet zone."""
    symbol, level = _encode(text, mask=0)
    masks = _MASK_SETS.get((len(symbol), level))
    if masks is None:  # the first symbol of its size: zint draws it with each mask
        others = [_encode(text, mask=mask)[0] for mask in range(1, MASKS)]
        masks = _MASK_SETS[len(symbol), level] = MaskSet.from_symbols([symbol, *others])
    return masks.best(symbol)[1]


def _encode(text: str, *, mask: int) -> tuple[list[bytes], str]:
    """zint's symbol of `text` with data mask `mask`, and its error correction level."""
    barcode = zxingcpp.create_barcode(
        text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION, data_mask=mask
    )
    # A buffer of 8-bit pixels, one a module (its type stub does not say it is a buffer).
    image: Any = barcode.to_image(scale=1, add_quiet_zones=False)
    pixels = memoryview(image).tobytes()
    side = math.isqrt(len(pixels))  # a QR code is square
    return [pixels[row * side : (row + 1) * side] for row in range(side)], barcode.ec_level


@functools.lru_cache(maxsize=64)
def qr_png(text: str, *, scale: int = SCALE) -> bytes:
    """A black-on-white PNG of the QR code of `text`, `scale` pixels a module."""
    return _png(qr_modules(text), scale=scale, border=BORDER)


def qr_data_uri(text: str) -> str:
    """The PNG as a `data:` URI, for a page that shows it without another request."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")


def _png(rows: list[bytes], *, scale: int, border: int) -> bytes:
    """1-bit greyscale PNG (1 = white) of the modules, each `scale` pixels square, inside a quiet
    zone `border` modules wide."""
    side = (len(rows) + 2 * border) * scale
    body = _scanlines(rows, scale=scale, border=border)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(body, COMPRESSION)),
            _chunk(b"IEND", b""),
        )
    )


def _scanlines(rows: list[bytes], *, scale: int, border: int) -> bytes:
    """The image's scanlines, each filter type 0 (none) and its pixels eight a byte, the first
    pixel in the high bit."""
    side = (len(rows) + 2 * border) * scale
    padding = -side % 8  # each scanline fills whole bytes
    packed_bytes = (side + padding) // 8
    blank = (b"\x00" + b"\xff" * packed_bytes) * (border * scale)
    if scale == 8:  # a module is a byte: one translate() a row
        quiet = b"\xff" * border
        body = b"".join((b"\x00" + quiet + row.translate(_MODULE_BYTES) + quiet) * scale for row in rows)
        return blank + body + blank
    quiet = b"1" * (border * scale)
    pad = b"1" * padding
    dark, light = b"0" * scale, b"1" * scale

    def scanline(row: bytes) -> bytes:
        # Modules as "d"/"l", then each as `scale` pixel bits: a few passes in C, not one per module.
        modules = row.translate(_MODULE_LETTERS).replace(b"d", dark).replace(b"l", light)
        return b"\x00" + int(quiet + modules + quiet + pad, 2).to_bytes(packed_bytes, "big")

    return blank + b"".join(scanline(row) * scale for row in rows) + blank


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
