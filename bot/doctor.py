"""`deskops doctor`: the configuration and every configured integration, one line each."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.error import URLError

import httpx
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.db import Database
from bot.integrations.backup.factory import build_platform
from bot.integrations.backup.port import PlatformError
from bot.integrations.directory.port import DirectoryError
from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.port import MailError
from bot.migrations import schema_is_current
from bot.slack.client import make_web_client
from bot.unreachable import database_unreachable, slack_unreachable


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str
    warning: bool = False

    @property
    def status(self) -> str:
        return "ok" if self.ok and not self.warning else ("warn" if self.ok else "fail")

    def line(self) -> str:
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[self.status]
        return f"[{mark}] {self.name}: {self.message}"


def report_json(results: list[CheckResult], *, version: str, redact: Callable[[str], str]) -> str:
    """`deskops doctor --json`, for monitoring: one document, `ok` false when any check failed."""
    return json.dumps(
        {
            "ok": all(result.ok for result in results),
            "version": version,
            "checks": [
                {"name": result.name, "status": result.status, "message": redact(result.message)}
                for result in results
            ],
        },
        indent=2,
    )


def _check(name: str, probe: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, probe())
    except (MailError, PlatformError, DirectoryError, ValueError) as error:
        return CheckResult(name, False, str(error))
    except Exception as error:
        return CheckResult(name, False, f"{type(error).__name__}: {error}")


def check_database(settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        try:
            db.ping()
        except OperationalError as error:
            raise ValueError(database_unreachable(error, settings.database_url)) from None
        if not schema_is_current(db):
            raise ValueError("reachable, but the schema is not current: run `deskops db upgrade`")
        return f"{db.engine.dialect.name} reachable, schema current"
    finally:
        db.dispose()


def check_slack(settings: Settings) -> str:
    assert settings.slack_bot_token is not None
    client = make_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url, timeout=10)
    try:
        identity = client.auth_test()
    except (URLError, OSError) as error:
        raise ValueError(slack_unreachable(error, settings.slack_api_url)) from None
    except SlackApiError as error:
        raise ValueError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}); "
            "copy the Bot User OAuth Token again"
        ) from None
    return f"auth.test ok: workspace {identity.get('team')}, bot user {identity.get('user')}"


def check_mail(settings: Settings) -> str:
    mailer = build_mailer(
        settings.smtp_url.get_secret_value(),
        mail_from=settings.mail_from,
        timeout=min(settings.smtp_timeout_seconds, 15),
    )
    try:
        return mailer.check()
    finally:
        mailer.close()


def check_platform(settings: Settings) -> str:
    platform = build_platform(settings)
    try:
        return platform.check()
    finally:
        platform.close()


def check_directory(settings: Settings) -> str:
    from bot.wiring import directory_from_settings

    directory = directory_from_settings(settings)
    try:
        return directory.check()
    finally:
        directory.close()


def check_enrollment(settings: Settings) -> CheckResult:
    missing = [
        name
        for name, value in (
            ("ENROLLMENT_SERVER", settings.enrollment_server),
            ("ENROLLMENT_API_KEY", settings.enrollment_api_key),
        )
        if not value
    ]
    if missing:
        return CheckResult(
            "enrollment",
            True,
            f"{' and '.join(missing)} not set: invitations need the server name; "
            "the device callback needs the API key",
            warning=True,
        )
    return CheckResult("enrollment", True, f"server {settings.enrollment_server}, device callback enabled")


def check_public_url(settings: Settings, *, timeout: float = 5.0) -> CheckResult:
    """PUBLIC_URL as end users' phones will open it: an https address that answers as deskops
    (its /healthz). Not reachable is a warning, not a failure: doctor often runs before serve."""
    url = settings.public_url
    name = "public URL"
    try:
        answer = httpx.get(f"{url}/healthz", timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:
        return CheckResult(
            name,
            True,
            f"{url} is not reachable from here ({type(error).__name__}): links in e-mails and "
            "the basic enrollment URL open nothing until deskops serves there (or a proxy forwards to it)",
            warning=True,
        )
    if (
        answer.status_code != 200
        or answer.headers.get("content-type", "").split(";")[0] != "application/json"
    ):
        return CheckResult(
            name,
            True,
            f"{url}/healthz answered {answer.status_code}, not deskops: check PUBLIC_URL and the proxy in front",
            warning=True,
        )
    if not url.startswith("https://"):
        return CheckResult(
            name,
            True,
            f"{url} is reachable, but not https: phones may refuse it, and Slack shows the QR code of "
            "/enroll url only from a public https address",
            warning=True,
        )
    return CheckResult(name, True, f"{url} reachable; the basic enrollment URL is {url}/enroll")


def check_access(settings: Settings) -> CheckResult:
    if not settings.helpdesk_users:
        return CheckResult(
            "access",
            True,
            "HELPDESK_USERS is not set: everyone in the workspace can use the bot",
            warning=True,
        )
    return CheckResult("access", True, f"{len(settings.helpdesk_users)} helpdesk users/groups configured")


def run_checks(settings: Settings) -> list[CheckResult]:
    return [
        CheckResult("configuration", True, "all variables valid"),
        _check("database", lambda: check_database(settings)),
        _check("slack", lambda: check_slack(settings))
        if settings.slack_configured
        else CheckResult(
            "slack",
            True,
            "no workspace configured: `deskops serve` refuses to start until SLACK_BOT_TOKEN and "
            "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) are set; `deskops console` is the offline demo",
            warning=True,
        ),
        _check("mail", lambda: check_mail(settings)),
        _check("backup platform", lambda: check_platform(settings)),
        _check("directory", lambda: check_directory(settings)),
        check_enrollment(settings),
        check_public_url(settings),
        check_access(settings),
    ]
