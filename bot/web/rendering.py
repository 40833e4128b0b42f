"""Public pages as end users read them: the MSP's brand, their language, dates in TIMEZONE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader
from markupsafe import Markup
from starlette.responses import HTMLResponse

from bot.config import Settings
from bot.i18n.brand import Brand
from bot.i18n.catalogs import translate
from bot.i18n.languages import language_or_default
from bot.i18n.templates import LocalizedTemplates

TEMPLATE_FOLDER = Path(__file__).parent / "templates"
# The token is in the URL: keep it out of Referer headers and caches. A logo is the one image
# a page may load from anywhere (BRAND_LOGO_URL is the operator's choice); QR codes are inline
# (data:) or from this server.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    # No other site may frame these pages (clickjacking the activation form); X-Frame-Options
    # for browsers that predate CSP's frame-ancestors.
    "X-Frame-Options": "DENY",
}


def strong(value: object) -> Markup:
    """A value set in bold inside a translated sentence (the sentence itself stays plain)."""
    return Markup("<strong>%s</strong>") % value


def mailto(address: str) -> Markup:
    return Markup('<a href="mailto:%s">%s</a>') % (address, address)


class Pages:
    """Renders `bot/web/templates/*.html` for one language at a time."""

    def __init__(self, *, brand: Brand, settings: Settings) -> None:
        self.default_language = settings.language
        self.brand = brand
        self.templates = LocalizedTemplates(
            FileSystemLoader(TEMPLATE_FOLDER),
            zone=settings.zone,
            filters={"strong": strong, "mailto": mailto},
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Pages:
        return cls(brand=Brand.from_settings(settings), settings=settings)

    def language(self, preferred: str | None) -> str:
        return language_or_default(preferred, self.default_language)

    def render(self, template: str, language: str | None, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.render(template, self.language(language), {**self.brand.context(), **context})
        return HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS)

    def problem(self, language: str | None, status: int, title: str, text: str) -> HTMLResponse:
        """A page saying what is wrong with a link; `title` and `text` are N_-marked msgids."""
        speaks = self.language(language)
        return self.render(
            "link_problem.html",
            speaks,
            status,
            title=translate(title, speaks),
            text=translate(text, speaks),
        )
