"""The kinds of value the configuration holds (URLs, times, limits, names), each a type that
checks one variable by itself: a ValueError saying what to use instead, which bot/config.py
turns into one line naming the variable."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, SecretStr
from pydantic_settings import NoDecode

from bot.access_file import AccessFileError, read_access_file


def split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _increasing_hours(value: Any) -> Any:
    items = split_csv(value)
    if not isinstance(items, list):
        return items
    try:
        hours = [int(item) for item in items]
    except (TypeError, ValueError):
        raise ValueError(
            f"{value!r} is not a list of hours; use increasing whole numbers such as 1,3,9"
        ) from None
    if any(h <= 0 for h in hours) or hours != sorted(set(hours)):
        raise ValueError(f"{value!r}: use increasing whole numbers of hours above 0, such as 1,3,9")
    return hours


def _unlimited_is_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("", "unlimited", "none"):
        return None
    return value


def _time_of_day(value: Any) -> Any:
    if isinstance(value, str):
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if not match:
            raise ValueError(f"{value!r} is not a time of day; use HH:MM such as 08:30")
        return time(int(match.group(1)), int(match.group(2)))
    return value


def _access_file(value: str | None) -> str | None:
    if not value:
        return None
    try:
        read_access_file(value)
    except AccessFileError as error:
        raise ValueError(str(error)) from None
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone; use a name such as Europe/Amsterdam") from None
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL such as https://deskops.example.com")
    return value


def _without_trailing_slash(value: str) -> str:
    return value.rstrip("/")


def _with_trailing_slash(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def _acronis_url(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    assert value is not None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{value!r} is not the data center URL of your Acronis portal, such as https://eu2-cloud.acronis.com"
        )
    # The Account Management API lives at <data center URL>/api/2; accept either form.
    return value.rstrip("/").removesuffix("/api/2").rstrip("/")


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite:", "postgresql")):
        raise ValueError(
            f"{value!r} is not supported; use sqlite:///deskops.db or postgresql+psycopg://user@host:5432/dbname"
        )
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        # psycopg 3 is the driver we ship; accept the plain libpq form too.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _country_code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter country code such as US or NL")
    return value.upper()


def _deep_link(value: str) -> str:
    try:
        value.format(server="s", username="u")
    except (KeyError, IndexError, ValueError):
        raise ValueError(
            f"{value!r} may only use {{server}} and {{username}}, e.g. acronisaccess://enroll?server={{server}}"
        ) from None
    return value


def _secret_key(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < 32:
        raise ValueError("use at least 32 random characters, e.g. the output of `openssl rand -hex 32`")
    return value


def _log_level(value: str) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{value!r} is not a log level; use DEBUG, INFO, WARNING or ERROR")
    return value.upper()


# NoDecode: a list comes as comma-separated text, not the JSON pydantic-settings expects.
IncreasingHours = Annotated[list[int], NoDecode, BeforeValidator(_increasing_hours)]
OptionalLimit = Annotated[int | None, BeforeValidator(_unlimited_is_none)]
TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
AccessFilePath = Annotated[str | None, AfterValidator(_access_file)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
# Links are made by appending paths (PUBLIC_URL) or method names (SLACK_API_URL) to these.
BaseUrl = Annotated[str, AfterValidator(_http_url), AfterValidator(_without_trailing_slash)]
ApiUrl = Annotated[str, AfterValidator(_http_url), AfterValidator(_with_trailing_slash)]
AcronisUrl = Annotated[str | None, AfterValidator(_acronis_url)]
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
CountryCode = Annotated[str, AfterValidator(_country_code)]
DeepLinkTemplate = Annotated[str, AfterValidator(_deep_link)]
SecretKey = Annotated[SecretStr | None, AfterValidator(_secret_key)]
LogLevel = Annotated[str, AfterValidator(_log_level)]
