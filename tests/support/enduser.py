"""Every e-mail and public page as end users receive them, rendered from the real templates in
every shipped language with one MSP's brand and time zone, for the tests that read them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.config import load_settings
from bot.i18n.brand import Brand
from bot.i18n.catalogs import translate
from bot.i18n.languages import SHIPPED_LANGUAGES
from bot.integrations.mail.port import OutgoingEmail
from bot.integrations.mail.render import MailRenderer
from bot.web.rendering import Pages

BRAND = Brand(
    name="Contoso IT", logo_url="https://cdn.contoso.example/logo.png", support_email="help@contoso.example"
)
TIMEZONE = "Europe/Amsterdam"
EXPIRES = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)
# What a reader in Amsterdam sees for EXPIRES, in each language (a winter date: standard time).
EXPIRY_SHOWN = {
    "en": "December 10, 2026, 9:30\u00a0AM (Central European Standard Time)",
    "de": "10. Dezember 2026, 09:30 (Mitteleuropäische Normalzeit)",
    "fr": "10 décembre 2026, 09:30 (heure normale d\u2019Europe centrale)",
    "nl": "10 december 2026, 09:30 (Midden-Europese standaardtijd)",
}
LANGUAGES = list(SHIPPED_LANGUAGES)
NAME = "Zoë Lefèvre"
SETTINGS = load_settings(
    _env_file=None,
    brand_name=BRAND.name,
    brand_logo_url=BRAND.logo_url,
    support_email=BRAND.support_email,
    timezone=TIMEZONE,
    language="en",
)

# Each e-mail deskops sends, with what its sender puts in (a new e-mail must be added here).
EMAILS: dict[str, dict[str, Any]] = {
    "activation": {
        "first_name": NAME,
        "full_name": NAME,
        "customer": "Acme Corporation",
        "login": "zoe.lefevre@acme.example",
        "activation_url": "https://deskops.msp.example/activate/tok-activation",
        "expires_at": EXPIRES,
        "agent_download_url": "https://downloads.example.com/acronis-agent",
    },
    "enrollment_invitation": {
        "display_name": NAME,
        "platform": "iOS / Android",
        "store_links": [
            {"platform": "iOS", "store": "App Store", "url": "https://apps.apple.com/app/acronis-access"},
            {
                "platform": "Android",
                "store": "Google Play",
                "url": "https://play.google.com/store/apps/acronis",
            },
        ],
        "qr_cid": "invitation-link-qr@deskops",
        "deep_link": "acronisaccess://enroll?server=access.msp.example&username=zlefevre",
        "server": "access.msp.example",
        "username": "zlefevre",
        "landing_url": "https://deskops.msp.example/enroll/tok-invitation",
        "open_url": "https://deskops.msp.example/enroll/tok-invitation/open",
        "expires_at": EXPIRES,
    },
    "password_reset": {
        "first_name": NAME,
        "full_name": NAME,
        "customer": "Acme Corporation",
        "login": "zoe.lefevre@acme.example",
        "activation_url": "https://deskops.msp.example/activate/tok-reset",
        "expires_at": EXPIRES,
        "agent_download_url": None,
    },
    "test_message": {"name": NAME, "link": "https://deskops.msp.example/healthz"},
}
# Variants: without the optional parts (no agent link, no deep link or server).
EMAIL_VARIANTS: dict[str, dict[str, Any]] = {
    "activation": {**EMAILS["activation"], "agent_download_url": None},
    "enrollment_invitation": {**EMAILS["enrollment_invitation"], "deep_link": None, "server": None},
}

ACCOUNT = {
    "first_name": NAME,
    "login": "zoe.lefevre@acme.example",
    "customer": "Acme Corporation",
    "expires_at": EXPIRES,
}
INVITATION = {
    **{
        k: EMAILS["enrollment_invitation"][k]
        for k in ("display_name", "platform", "store_links", "deep_link", "server", "username", "expires_at")
    },
    "qr": "data:image/png;base64,iVBORw0KGgo=",
}
BASIC_PAGE = {
    "url": "https://deskops.msp.example/enroll",
    "server": "access.msp.example",
    "deep_link": "acronisaccess://enroll?server=access.msp.example",
    "platform": "iOS",
    "store_links": EMAILS["enrollment_invitation"]["store_links"][:1],
    "qr": None,
}
# Each public page, with what its route puts in; `link_problem.html` is rendered per problem.
PAGES: dict[str, dict[str, Any]] = {
    "activate.html": {"account": ACCOUNT, "errors": {}, "password_min": 10, "password_max": 128},
    "activated.html": {
        "account": ACCOUNT,
        "agent_download_url": "https://downloads.example.com/acronis-agent",
    },
    "enroll.html": {"invitation": INVITATION},
    "enroll_basic.html": {"page": BASIC_PAGE},
    "enroll_scan.html": {
        "page": {**BASIC_PAGE, "platform": None, "qr": "data:image/png;base64,iVBORw0KGgo="}
    },
}


def render_emails(language: str) -> dict[str, OutgoingEmail]:
    renderer = MailRenderer.from_settings(SETTINGS)
    rendered = {
        name: renderer.render_email(
            name, to="zoe@example.com", context=context, message_id=name, language=language
        )
        for name, context in EMAILS.items()
    }
    for name, context in EMAIL_VARIANTS.items():
        rendered[f"{name} (short)"] = renderer.render_email(
            name, to="zoe@example.com", context=context, message_id=name, language=language
        )
    return rendered


@dataclass(frozen=True)
class Page:
    status: int
    html: str


def render_pages(language: str) -> dict[str, Page]:
    from bot.web.link_pages import LINK_PAGES
    from bot.web.pages import PROBLEM_PAGES

    pages = Pages.from_settings(SETTINGS)

    def page(template: str, **context: Any) -> Page:
        response = pages.render(template, language, **context)
        return Page(response.status_code, bytes(response.body).decode())

    rendered = {name: page(name, **context) for name, context in PAGES.items()}
    rendered["activate.html (errors)"] = page(
        "activate.html",
        **{**PAGES["activate.html"], "errors": {"password": "x", "confirmation": "y"}},
    )
    rendered["activated.html (no agent link)"] = page(
        "activated.html", account=ACCOUNT, agent_download_url=None
    )
    rendered["enroll.html (no deep link)"] = page(
        "enroll.html", invitation={**INVITATION, "deep_link": None, "server": None}
    )
    for problems in (PROBLEM_PAGES, LINK_PAGES):
        for problem, (status, title, text) in problems.items():
            response = pages.problem(language, status, title, text)
            rendered[f"link_problem.html ({type(problem).__name__}.{problem.name})"] = Page(
                response.status_code, bytes(response.body).decode()
            )
    return rendered


_HREF = re.compile(r"""\bhref="([^"]*)\"""")
_TEXT_LINK = re.compile(r"(?:https?|acronisaccess)://[^\s<>\"]+")


def html_links(document: str) -> set[str]:
    """Where the links of an HTML part lead (mailto: ones are the support address)."""
    return {html.unescape(href) for href in _HREF.findall(document) if not href.startswith("mailto:")}


def text_links(text: str) -> set[str]:
    return set(_TEXT_LINK.findall(text))


def said(message: str, language: str, **values: Any) -> str:
    """What a sentence of the templates reads in `language`."""
    return translate(message, language) % values if values else translate(message, language)
