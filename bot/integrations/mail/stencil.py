"""One e-mail template rendered once for many recipients, each recipient's values filled in.

A batch sends the same e-mail to hundreds of people, differing only in a few values (name, user
name, links). Rendering the localised template for each of them is most of the CPU a batch
costs; a stencil renders it once with a marker in place of each personal value and, for each
recipient, puts the values where the markers are: HTML-escaped in the HTML part (as Jinja2's
autoescape would), as they are in the text part and the subject.

That is exact for a value the template prints as it is, or tests for truth: a marker stands for
a true value, and a false one (None, "") is rendered as itself, so each pattern of empty and
filled values has a stencil of its own. A template that transforms a personal value (a filter,
a method call, a comparison) would not be: the first recipient of each stencil is rendered in
full and compared, and on any difference the stencil is dropped for direct rendering.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from markupsafe import escape

from bot.integrations.mail.port import OutgoingEmail

log = logging.getLogger(__name__)

# Renders one e-mail: (to, context) -> the e-mail (with message_id and headers left to the caller).
Render = Callable[[str, Mapping[str, object]], OutgoingEmail]
Personal = Mapping[str, str | None]


def one_line(text: str) -> str:
    """Whitespace (CR, LF, tabs, Unicode line separators) collapsed to single spaces."""
    return " ".join(text.split())


@dataclass
class _Cut:
    """A rendered part cut at its markers: text, value index, text, ..., text."""

    pieces: list[str | int]

    @classmethod
    def of(cls, rendered: str, markers: re.Pattern[str]) -> _Cut:
        parts = markers.split(rendered)
        # re.split puts the captured index at every odd position.
        return cls([int(part) if index % 2 else part for index, part in enumerate(parts)])

    def fill(self, values: Sequence[str]) -> str:
        return "".join(values[piece] if isinstance(piece, int) else piece for piece in self.pieces)


@dataclass
class _Pattern:
    subject: _Cut
    text: _Cut
    html: _Cut
    # Unchecked until its first recipient's e-mail, rendered in full, matched it.
    checked: bool = False
    broken: bool = False


@dataclass
class Stencil:
    """Renders `render`'s e-mail for recipients that differ only in the `personal` values named
    (and `to`), one template rendering for each pattern of filled and empty values. Several
    threads may fill one stencil."""

    render: Render
    personal: tuple[str, ...]
    _marker: str = field(default_factory=lambda: f"stencil{secrets.token_hex(6)}n")
    _patterns: dict[tuple[object, ...], _Pattern] = field(default_factory=dict)

    def email(self, to: str, values: Personal, *, message_id: str) -> OutgoingEmail:
        """The e-mail to `to` with `values` (one for each name in `personal`)."""
        ordered = [to, *(values[name] for name in self.personal)]
        if any(value and value != one_line(value) for value in ordered):
            # Line breaks or runs of spaces: the subject's one_line() would change the value.
            return self._rendered(to, values, message_id)
        shape = tuple(True if value else value for value in ordered)
        pattern = self._patterns.get(shape)
        if pattern is None:
            pattern = self._patterns[shape] = self._cut(ordered)
        if pattern.broken:
            return self._rendered(to, values, message_id)
        filled = self._fill(pattern, to, [value or "" for value in ordered], message_id)
        if not pattern.checked:
            # Threads meeting an unchecked pattern at once each check it; none uses it unchecked.
            rendered = self._rendered(to, values, message_id)
            if rendered != filled:
                pattern.broken = True
                log.warning("e-mail stencil differs from the template's own rendering: rendering each")
                return rendered
            pattern.checked = True
        return filled

    def _cut(self, ordered: Sequence[str | None]) -> _Pattern:
        markers = [f"{self._marker}{index}n" if value else value for index, value in enumerate(ordered)]
        to, personal = markers[0] or "", dict(zip(self.personal, markers[1:], strict=True))
        email = self.render(to, personal)
        found = re.compile(f"{self._marker}(\\d+)n")
        return _Pattern(_Cut.of(email.subject, found), _Cut.of(email.text, found), _Cut.of(email.html, found))

    def _fill(self, pattern: _Pattern, to: str, values: list[str], message_id: str) -> OutgoingEmail:
        escaped = [str(escape(value)) for value in values]
        return OutgoingEmail(
            to=to,
            subject=pattern.subject.fill(values),
            text=pattern.text.fill(values),
            html=pattern.html.fill(escaped),
            message_id=message_id,
        )

    def _rendered(self, to: str, values: Personal, message_id: str) -> OutgoingEmail:
        return replace(self.render(to, values), message_id=message_id)
