"""Checks of what people type. Each returns the normalised value or raises ValueError whose
text is shown under the field as it is."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.lookalikes import nfkc, refuse_compatibility_forms, refuse_invisible, refuse_mixed_scripts

NAME_MAX = 100
ADDRESS_MAX = 500
QUOTA_MAX = 1_000_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    return (value or "").strip()


def check_name(value: str | None, *, what: str) -> str:
    """A name, NFKC-normalised (full-width letters become plain ones), without invisible or
    right-to-left controls or look-alike letters of another script inside a word."""
    text = nfkc(clean_text(value))
    if not text:
        raise ValueError(f"Enter a {what}.")
    if len(text) > NAME_MAX:
        raise ValueError(f"A {what} can have at most {NAME_MAX} characters (this one has {len(text)}).")
    if _CONTROL.search(text):
        raise ValueError(f"A {what} cannot contain control characters or line breaks.")
    refuse_invisible(text, what=what)
    refuse_mixed_scripts(text, what=what)
    return text


def check_email(value: str | None) -> str:
    """Syntax only: no DNS or deliverability look-up (addresses at example.com are valid)."""
    text = clean_text(value)
    if not text:
        raise ValueError("Enter an e-mail address.")
    if _CONTROL.search(text):
        raise ValueError("An e-mail address cannot contain line breaks or control characters.")
    refuse_invisible(text, what="e-mail address")
    refuse_compatibility_forms(text, what="e-mail address")
    refuse_mixed_scripts(text, what="e-mail address")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{text!r} is not a valid e-mail address: {error}") from None
    return str(result.normalized)


def check_phone(value: str | None, *, region: str) -> str:
    text = clean_text(value)
    if not text:
        raise ValueError("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"{text!r} is not a phone number; include the country code, e.g. +31 20 123 4567."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"{text!r} is not a valid phone number; include the country code, e.g. +31 20 123 4567."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_address(value: str | None) -> str:
    text = clean_text(value)
    if not text:
        raise ValueError("Enter an address.")
    if len(text) > ADDRESS_MAX:
        raise ValueError(f"An address can have at most {ADDRESS_MAX} characters (this one has {len(text)}).")
    if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text):
        raise ValueError("An address cannot contain control characters.")
    return text


def check_quota(value: str | None) -> int | None:
    """Empty means unlimited."""
    text = clean_text(value)
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"{text!r} is not a whole number of 0 or more; leave it empty for unlimited.")
    number = int(text)
    if number > QUOTA_MAX:
        raise ValueError(f"{number} is more than {QUOTA_MAX:,}; leave it empty for unlimited.")
    return number
