"""QR codes of links (segno): PNG bytes for e-mails (inline images) and for GET /enroll/qr.png."""

from __future__ import annotations

import base64
import functools
import io

import segno

# Error correction M survives a smudged screen; 6 pixels a module scans from across a desk, and
# the four-module quiet zone is what the QR standard asks for around the code.
SCALE = 6
BORDER = 4


@functools.lru_cache(maxsize=64)
def qr_png(text: str, *, scale: int = SCALE) -> bytes:
    """A black-on-white PNG of the QR code of `text`."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    """The PNG as a `data:` URI, for a page that shows it without another request."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
