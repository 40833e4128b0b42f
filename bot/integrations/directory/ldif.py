"""A small reader for LDIF content files (RFC 2849), as written by slapcat, ldapsearch and ldifde.

Handles comments, line folding (a line starting with one space continues the previous one),
base64 values (`attr:: `) and the `version: 1` line. Values given by URL (`attr:< file://`) are
not fetched, attribute descriptions with options (`cn;lang-de`) and binary values are skipped:
none of them is a name or an e-mail address. Change records other than `changetype: add` are
refused, because they do not describe what the directory holds.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field


class LdifError(ValueError):
    """Malformed LDIF; the message names the line."""


@dataclass
class LdifRecord:
    dn: str
    line: int  # where the record starts, for messages
    attributes: dict[str, list[str]] = field(default_factory=dict)  # lower-cased names


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, unfolded line); blank lines kept as record separators, comments dropped."""
    current: str | None = None
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(" ") and current is not None:
            current += raw[1:]
            continue
        if current is not None and not current.startswith("#"):
            yield start, current
        current, start = raw, number
        if not raw.strip():
            yield number, ""
            current = None
    if current is not None and not current.startswith("#"):
        yield start, current


def _value(number: int, line: str) -> tuple[str, str | None]:
    """(attribute description, text value or None when it cannot be used as text)."""
    name, colon, rest = line.partition(":")
    if not colon or not name.strip():
        raise LdifError(f"line {number}: expected 'attribute: value', got {line[:60]!r}")
    if rest.startswith(":"):
        try:
            return name.strip(), base64.b64decode(rest[1:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return name.strip(), None  # binary (a photo, a GUID) or broken: not text
    if rest.startswith("<"):
        return name.strip(), None
    return name.strip(), rest.lstrip(" ")


def parse_ldif(text: str) -> Iterator[LdifRecord]:
    record: LdifRecord | None = None
    seen_anything = False
    for number, line in _logical_lines(text):
        if not line:
            if record is not None:
                yield record
            record = None
            continue
        name, value = _value(number, line)
        key = name.lower()
        if record is None:
            if key == "version" and not seen_anything:
                seen_anything = True
                continue
            if key != "dn" or value is None:
                raise LdifError(f"line {number}: a record must start with 'dn:', got {line[:60]!r}")
            record = LdifRecord(dn=value.strip(), line=number)
            seen_anything = True
            continue
        if key == "changetype":
            if (value or "").strip().lower() != "add":
                raise LdifError(
                    f"line {number}: change records ({value}) are not a directory listing: export "
                    "the entries as content (slapcat, ldapsearch -LLL, ldifde -f)"
                )
            continue
        if value is None or ";" in key:
            continue
        record.attributes.setdefault(key, []).append(value)
    if record is not None:
        yield record
