"""E-mail rendering with Jinja2: `templates/<name>.subject.txt`, `<name>.txt`, `<name>.html`.

Adding an e-mail is dropping those three files into `templates/`; the HTML one usually
extends `layout.html` and fills `{% block content %}`, the text one extends `layout.txt`.
HTML templates are autoescaped, text ones are not; an undefined variable is an error, never
an empty string in a mail to a customer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.integrations.mail.port import OutgoingEmail

TEMPLATE_PACKAGE = "bot.integrations.mail"
TEMPLATE_FOLDER = "templates"
PARTS = ("subject.txt", "txt", "html")


def one_line(text: str) -> str:
    """Whitespace (CR, LF, tabs, Unicode line separators) collapsed to single spaces."""
    return " ".join(text.split())


class MailRenderer:
    """Renders the three parts of an e-mail template into an OutgoingEmail.

    `defaults` are context values every template sees unless the caller's context overrides
    them (e.g. `brand`, `public_url`).
    """

    def __init__(
        self, *, defaults: Mapping[str, Any] | None = None, loader: BaseLoader | None = None
    ) -> None:
        self.defaults: dict[str, Any] = {"brand": "Helpdesk", **(defaults or {})}
        self.environment = Environment(
            loader=loader or PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Templates ship with the code: no stat() of three files for every e-mail.
            auto_reload=False,
        )

    def template_names(self) -> list[str]:
        """E-mails that have all three parts, e.g. `["test_message"]`."""
        files = set(self.environment.list_templates())
        suffix = "." + PARTS[0]
        stems = {name.removesuffix(suffix) for name in files if name.endswith(suffix)}
        return sorted(stem for stem in stems if all(f"{stem}.{part}" in files for part in PARTS))

    def render_email(
        self,
        template: str,
        *,
        to: str,
        context: Mapping[str, Any],
        message_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> OutgoingEmail:
        """Raises jinja2.TemplateNotFound / UndefinedError for a missing template or variable."""
        values = {**self.defaults, **context, "to": to}
        subject = one_line(self.environment.get_template(f"{template}.subject.txt").render(values))
        values["subject"] = subject
        text = self.environment.get_template(f"{template}.txt").render(values)
        html = self.environment.get_template(f"{template}.html").render(values)
        return OutgoingEmail(
            to=to, subject=subject, text=text, html=html, message_id=message_id, headers=dict(headers or {})
        )


@functools.cache
def default_renderer() -> MailRenderer:
    return MailRenderer()


def render_email(template: str, *, to: str, context: Mapping[str, Any], message_id: str) -> OutgoingEmail:
    """`MailRenderer().render_email` with the bundled templates and no extra defaults."""
    return default_renderer().render_email(template, to=to, context=context, message_id=message_id)
