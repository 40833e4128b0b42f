"""QR codes of links: PNG bytes for e-mails (inline images) and for GET /enroll/qr.png.

The symbol is encoded by zint (through zxing-cpp), which evaluates all eight data masks with the
penalty rules of ISO/IEC 18004 §7.8.3 and keeps the lowest-scoring one, as the standard requires.
Every invitation e-mail carries the code of its own link, so this runs once per e-mail: in C the
whole encoding takes a fraction of a millisecond, where a pure-Python encoder spends several on
the mask evaluation alone. The PNG (1-bit greyscale, a few hundred bytes) is written here.
"""

from __future__ import annotations

import base64
import functools
import math
import struct
import zlib
from typing import Any

import zxingcpp

# Error correction M survives a smudged screen; 6 pixels a module scans from across a desk, and
# the four-module quiet zone is what the QR standard asks for around the code.
SCALE = 6
BORDER = 4
ERROR_CORRECTION = "M"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# zxing-cpp draws dark modules as 0 and light ones as 255 (anything not dark is light).
_MODULE_LETTERS = b"d" + b"l" * 255  # a bytes.translate() table: 0 -> "d", the rest -> "l"


def qr_modules(text: str) -> list[bytes]:
    """The symbol's rows, one byte a module (0 dark, 255 light), without the quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION)
    # A buffer of 8-bit pixels, one a module (its type stub does not say it is a buffer).
    image: Any = barcode.to_image(scale=1, add_quiet_zones=False)
    pixels = memoryview(image).tobytes()
    side = math.isqrt(len(pixels))  # a QR code is square
    return [pixels[row * side : (row + 1) * side] for row in range(side)]


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
    padding = -side % 8  # each scanline fills whole bytes
    quiet = b"1" * (border * scale)
    pad = b"1" * padding
    dark, light = b"0" * scale, b"1" * scale
    packed_bytes = (side + padding) // 8

    def scanline(row: bytes) -> bytes:
        # Modules as "d"/"l", then each as `scale` pixel bits: a few passes in C, not one per module.
        modules = row.translate(_MODULE_LETTERS).replace(b"d", dark).replace(b"l", light)
        # Filter type 0 (none), then the pixels eight a byte, first pixel in the high bit.
        return b"\x00" + int(quiet + modules + quiet + pad, 2).to_bytes(packed_bytes, "big")

    blank = (b"\x00" + b"\xff" * packed_bytes) * (border * scale)
    body = b"".join(scanline(row) * scale for row in rows)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(blank + body + blank)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
