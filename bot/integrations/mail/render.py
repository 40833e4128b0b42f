"""E-mail rendering with Jinja2: `templates/<name>.subject.txt`, `<name>.txt`, `<name>.html`.

Adding an e-mail is dropping those three files into `templates/`; the HTML one usually
extends `layout.html` and fills `{% block content %}`, the text one extends `layout.txt`.
HTML templates are autoescaped, text ones are not; an undefined variable is an error, never
an empty string in a mail to a customer. Text is written in English inside `{% trans %}` /
`_()` and read in the recipient's language from the gettext catalogs (bot/i18n); dates go
through `|moment` (TIMEZONE, the zone named, formatted for the language).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader, PackageLoader
from markupsafe import Markup

from bot.i18n.brand import Brand
from bot.i18n.languages import language_or_default
from bot.i18n.templates import LocalizedTemplates
from bot.integrations.mail.port import OutgoingEmail
from bot.integrations.mail.stencil import Stencil, one_line

if TYPE_CHECKING:
    from bot.config import Settings

TEMPLATE_PACKAGE = "bot.integrations.mail"
TEMPLATE_FOLDER = "templates"
PARTS = ("subject.txt", "txt", "html")


def strong(value: object) -> Markup:
    """A value set in bold inside a translated HTML sentence (the sentence itself stays plain)."""
    return Markup("<strong>%s</strong>") % value


def mailto(address: str) -> Markup:
    return Markup('<a class="link" href="mailto:%s" style="color:#1d4ed8;">%s</a>') % (address, address)


class MailRenderer:
    """Renders the three parts of an e-mail template into an OutgoingEmail, in a language.

    `defaults` are context values every template sees unless the caller's context overrides
    them (e.g. `public_url`); the brand is always there (`brand_name`, `brand_logo_url`,
    `support_email`).
    """

    def __init__(
        self,
        *,
        brand: Brand | None = None,
        zone: ZoneInfo | None = None,
        language: str = "en",
        defaults: Mapping[str, Any] | None = None,
        loader: BaseLoader | None = None,
    ) -> None:
        self.language = language
        self.defaults: dict[str, Any] = {**(brand or Brand()).context(), **(defaults or {})}
        self.templates = LocalizedTemplates(
            loader or PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
            zone=zone or ZoneInfo("UTC"),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            filters={"strong": strong, "mailto": mailto},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> MailRenderer:
        return cls(
            brand=Brand.from_settings(settings),
            zone=settings.zone,
            language=settings.language,
            defaults={"public_url": settings.public_url},
        )

    def template_names(self) -> list[str]:
        """E-mails that have all three parts, e.g. `["test_message"]`."""
        files = set(self.templates.list_templates())
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
        language: str | None = None,
    ) -> OutgoingEmail:
        """In `language` (a customer's; None or one not shipped: the renderer's default).

        Raises jinja2.TemplateNotFound / UndefinedError for a missing template or variable.
        """
        speaks = language_or_default(language, self.language)
        values = {**self.defaults, **context, "to": to}
        subject = one_line(self.templates.render(f"{template}.subject.txt", speaks, values))
        values["subject"] = subject
        text = self.templates.render(f"{template}.txt", speaks, values)
        html = self.templates.render(f"{template}.html", speaks, values)
        return OutgoingEmail(
            to=to, subject=subject, text=text, html=html, message_id=message_id, headers=dict(headers or {})
        )

    def stencil(
        self,
        template: str,
        *,
        context: Mapping[str, Any],
        personal: Sequence[str],
        language: str | None = None,
    ) -> Stencil:
        """`template` for many recipients sharing `context`, differing in the `personal` values
        (and the address): rendered once, each recipient's values filled in (see Stencil)."""

        def render(to: str, values: Mapping[str, object]) -> OutgoingEmail:
            return self.render_email(
                template, to=to, context={**context, **values}, message_id="stencil", language=language
            )

        return Stencil(render, tuple(personal))


@functools.cache
def default_renderer() -> MailRenderer:
    return MailRenderer()


def render_email(
    template: str, *, to: str, context: Mapping[str, Any], message_id: str, language: str | None = None
) -> OutgoingEmail:
    """`MailRenderer().render_email` with the bundled templates, the default brand and UTC."""
    return default_renderer().render_email(
        template, to=to, context=context, message_id=message_id, language=language
    )
