"""Pure helpers for values read from LDAP: distinguished names and AD ranged attributes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import escape_rdn, parse_dn

Entry = Mapping[str, Sequence[str]]  # lower-cased attribute description -> values

_DN_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2}|.)", re.DOTALL)
_PLAIN_DN = re.compile(r'[^\\"+#<>;]+')
# `type=value` components, values of letters, digits, spaces and ,.-_@' only (no `=` in a value,
# no escapes), each value neither empty nor starting or ending with a space after stripping:
# normalized by lower-casing and stripping alone.
_SPACED_SEPARATOR = re.compile(r"\s*([,=])\s*")
_SIMPLE_DN = re.compile(
    r"\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*[\w.@'-](?:[\w .@'-]*[\w.@'-])?\s*(?:,\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*[\w.@'-](?:[\w .@'-]*[\w.@'-])?\s*)*"
)
_ATTRIBUTE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+")
_OPTIONAL_UID = re.compile(r"#'[01]*'B$")
_RANGE_OPTION = re.compile(r"range=(\d+)-(\d+|\*)", re.IGNORECASE)


def unescape_dn_value(value: str) -> str:
    """An RDN value as text: RFC 4514 escapes (`\\,` and hex pairs such as `\\C3\\A9`) resolved."""
    if value.startswith("#"):  # BER-encoded value, kept as written
        return value
    decoded = bytearray()
    position = 0
    for match in _DN_ESCAPE.finditer(value):
        decoded += value[position : match.start()].encode()
        escaped = match.group(1)
        decoded += bytes.fromhex(escaped) if len(escaped) == 2 else escaped.encode()
        position = match.end()
    decoded += value[position:].encode()
    return decoded.decode("utf-8", errors="replace")


def split_dn(dn: str) -> list[tuple[str, str, str]] | None:
    """(attribute type, unescaped value, separator) per component; None if `dn` is no DN."""
    if _PLAIN_DN.fullmatch(dn):  # no escapes, quotes or multi-valued RDNs: the common case, fast
        components = [part.partition("=") for part in dn.split(",")]
        if all(_ATTRIBUTE_TYPE.fullmatch(kind.strip()) and value.strip() for kind, _, value in components):
            last = len(components) - 1
            return [
                (kind.strip(), value.strip(), "" if index == last else ",")
                for index, (kind, _, value) in enumerate(components)
            ]
    try:
        return [(kind, unescape_dn_value(value), sep) for kind, value, sep in parse_dn(dn, strip=True)]
    except (LDAPInvalidDnError, ValueError, IndexError):
        return None


def normalize_dn(dn: str) -> str:
    """A form in which two spellings of the same DN compare equal: case, spaces after commas
    and escaping differ between what servers return and what member attributes hold."""
    if _SIMPLE_DN.fullmatch(dn):  # nothing to unescape or escape: the common case, fast
        return _SPACED_SEPARATOR.sub(r"\1", dn).strip().casefold()
    return normalize_escaped_dn(dn)


def normalize_escaped_dn(dn: str) -> str:
    """`normalize_dn` for any DN, escapes, quotes and multi-valued RDNs included."""
    parts = split_dn(dn)
    if parts is None:
        return " ".join(dn.split()).casefold()
    return "".join(
        f"{kind.lower()}={escape_rdn(value.casefold()) if value else ''}{sep}" for kind, value, sep in parts
    )


def parent_dn(dn: str) -> str | None:
    """The DN one level up (`uid=a,ou=people,dc=x` -> `ou=people,dc=x`); None for a top entry
    or no DN."""
    if _SIMPLE_DN.fullmatch(dn):
        return dn.partition(",")[2].strip() or None
    parts = split_dn(dn)
    if parts is None or len(parts) < 2:
        return None
    return "".join(f"{kind}={escape_rdn(value)}{sep}" for kind, value, sep in parts[1:])


def is_under(dn: str, base: str) -> bool:
    """True when `dn` is `base` or below it (both normalized)."""
    return dn == base or dn.endswith("," + base)


def first_rdn(dn: str) -> tuple[str, str] | None:
    """(attribute, value) of the DN's first RDN component - every entry holds this value, so it
    can be searched for; None when the DN is unusable for a filter."""
    parts = split_dn(dn)
    if not parts or parts[0][1].startswith("#") or not parts[0][1]:
        return None
    return parts[0][0], parts[0][1]


def strip_optional_uid(member: str) -> str:
    """uniqueMember values may end in an optional bit-string UID: `uid=x,dc=y#'0101'B`."""
    return _OPTIONAL_UID.sub("", member)


@dataclass(frozen=True)
class ValueRange:
    low: int
    high: int | None  # None: `*`, the last range


def parse_range(attribute_description: str) -> ValueRange | None:
    """`member;range=0-1499` -> ValueRange(0, 1499); `member;range=1500-*` -> (1500, None)."""
    for option in attribute_description.split(";")[1:]:
        match = _RANGE_OPTION.fullmatch(option.strip())
        if match:
            return ValueRange(int(match[1]), None if match[2] == "*" else int(match[2]))
    return None


def pick_values(entry: Entry, attribute: str) -> tuple[str | None, Sequence[str]]:
    """The values of `attribute` in an entry, whether the server returned them whole or as a
    range (Active Directory answers a request for `member` with `member;range=0-1499` once a
    group holds more values than its MaxValRange)."""
    name = attribute.lower()
    for key, values in entry.items():
        if key.split(";")[0] == name and parse_range(key):
            return key, values
    if name in entry:
        return name, entry[name]
    return None, ()


def iter_ranged_values(read: Callable[[str], Entry | None], attribute: str) -> Iterator[str]:
    """Stream every value of a multi-valued attribute, following AD range retrieval.

    `read(description)` reads the one entry asking for that attribute description (`member`,
    then `member;range=1500-*`, ...) and returns its attributes, or None when it is gone. Servers
    without range retrieval return everything at the first read.
    """
    requested = attribute
    while True:
        entry = read(requested)
        if entry is None:
            return
        returned, values = pick_values(entry, attribute)
        yield from values
        value_range = parse_range(returned) if returned else None
        if value_range is None or value_range.high is None or not values:
            return
        requested = f"{attribute};range={value_range.high + 1}-*"
