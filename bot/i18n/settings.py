"""The settings of what end users see (BRAND_NAME, BRAND_LOGO_URL, SUPPORT_EMAIL, LANGUAGE),
checked as bot/config.py checks every variable: a ValueError saying what to use instead."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator

from bot.i18n.languages import UnknownLanguage, parse_language


def _brand_name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 100:
        raise ValueError("use the name your customers know you by (up to 100 characters), such as Contoso IT")
    return name


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


def _logo_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL of an image, such as https://example.com/logo.png")
    return value


def _support_email(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an e-mail address: {exc}") from None


def _language(value: str) -> str:
    try:
        return parse_language(value)
    except UnknownLanguage as exc:
        raise ValueError(str(exc)) from None


BrandName = Annotated[str, AfterValidator(_brand_name)]
LogoUrl = Annotated[str | None, BeforeValidator(_empty_is_none), AfterValidator(_logo_url)]
SupportEmail = Annotated[str | None, BeforeValidator(_empty_is_none), AfterValidator(_support_email)]
LanguageCode = Annotated[str, AfterValidator(_language)]
