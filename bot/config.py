"""Configuration: environment variables (and a `.env` file), validated once at start-up.

Every problem is reported as one line naming the variable and the fix; `load_settings`
never lets a pydantic traceback reach the operator. Each variable's type checks its value (Slack
ids here, the other kinds in bot/config_values.py); `cross_field_problems` the combinations.
"""

from __future__ import annotations

import re
from datetime import time
from email.utils import parseaddr
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config_values import (
    AccessFilePath,
    AcronisUrl,
    ApiUrl,
    BaseUrl,
    CountryCode,
    DatabaseUrl,
    DeepLinkTemplate,
    HttpUrl,
    IncreasingHours,
    LogLevel,
    OptionalLimit,
    SecretKey,
    TimeOfDay,
    TimeZoneName,
    split_csv,
)
from bot.i18n.settings import BrandName, LanguageCode, LogoUrl, SupportEmail

SLACK_PRINCIPAL_ID = re.compile(r"^[US][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _principals(value: Any) -> Any:
    items = split_csv(value)
    for item in items or []:
        if not SLACK_PRINCIPAL_ID.match(item):
            raise ValueError(
                f"{item!r} is not a Slack user id (U…) or user-group id (S…); "
                "use comma-separated ids such as U012AB3CD,S0614TZR7"
            )
    return items


def _channel(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    assert value is not None
    if not SLACK_CHANNEL_ID.match(value):
        raise ValueError(
            f"{value!r} is not a Slack channel id such as C0123ABCD (copy it from the channel's details)"
        )
    return value


# NoDecode: the ids come as comma-separated text, not the JSON pydantic-settings expects.
SlackPrincipals = Annotated[list[str], NoDecode, BeforeValidator(_principals)]
SlackChannel = Annotated[str | None, AfterValidator(_channel)]


class BackupProviderName(StrEnum):
    LOCAL = "local"
    ACRONIS = "acronis"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"  # one object per line, for log shippers


class DirectoryProfile(StrEnum):
    AD = "ad"
    OPENLDAP = "openldap"


class ConfigError(Exception):
    """Configuration that cannot be used; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: ApiUrl = "https://slack.com/api/"

    database_url: DatabaseUrl = "sqlite:///deskops.db"

    backup_provider: BackupProviderName = BackupProviderName.LOCAL
    acronis_url: AcronisUrl = None
    acronis_client_id: str | None = None
    acronis_client_secret: SecretStr | None = None
    acronis_timeout_seconds: float = Field(default=30.0, gt=0)

    directory_url: str | None = None
    directory_bind_dn: str | None = None
    directory_bind_password: SecretStr | None = None
    directory_profile: DirectoryProfile = DirectoryProfile.AD
    directory_starttls: bool = False
    directory_timeout_seconds: float = Field(default=10.0, gt=0)

    smtp_url: SecretStr = SecretStr("./outbox/")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Limits of the mail relay, held by all replicas together (unset: unlimited).
    smtp_rate_per_minute: OptionalLimit = Field(default=None, ge=1, le=1_000_000)
    smtp_max_connections: int = Field(default=3, ge=1, le=100)
    smtp_daily_limit: OptionalLimit = Field(default=None, ge=1, le=100_000_000)
    # How long sending pauses after a relay's "slow down" reply that names no delay (doubling
    # while the relay keeps answering so, up to an hour).
    smtp_pause_seconds: float = Field(default=60.0, ge=0.1, le=3600.0)

    helpdesk_channel: SlackChannel = None
    approvals_channel: SlackChannel = None
    digest_channel: SlackChannel = None
    audit_channel: SlackChannel = None

    approvers: SlackPrincipals = Field(default_factory=list)
    helpdesk_users: SlackPrincipals = Field(default_factory=list)

    digest_time: TimeOfDay = time(8, 30)
    timezone: TimeZoneName = "UTC"

    # What needs a lead's approval (only while APPROVALS_CHANNEL is set), and for how long.
    approval_administrators: bool = True
    approval_deletions: bool = True
    approval_batch_size: int = Field(default=50, ge=0)
    approval_devices_beyond_licence: bool = True
    approval_expiry_hours: int = Field(default=48, ge=1, le=24 * 30)
    # Re-notify the approvers in the request's thread this many hours after it was asked.
    approval_reminder_hours: IncreasingHours = Field(default_factory=lambda: [1, 3, 9])
    # Reminders in HELPDESK_CHANNEL: invitations expiring this soon, users pending this long.
    reminder_expiry_window_hours: int = Field(default=48, ge=1, le=24 * 30)
    reminder_pending_activation_days: int = Field(default=3, ge=1, le=365)
    # Scheduled jobs (reminders, expiry, approvals, digest, housekeeping) in this process.
    scheduler_enabled: bool = True
    scheduler_interval_seconds: int = Field(default=300, ge=1, le=86400)
    # With BACKUP_PROVIDER=acronis: customers and subscriptions synced from the platform this often.
    customers_sync_interval_hours: int = Field(default=6, ge=1, le=24 * 7)

    public_url: BaseUrl = "http://127.0.0.1:3000"
    mail_from: str = "helpdesk@localhost"
    # What end users see in e-mails and on public pages: the MSP's name, logo and address.
    brand_name: BrandName = "Helpdesk"
    brand_logo_url: LogoUrl = None
    support_email: SupportEmail = None
    # E-mails and pages for a customer without a `language` of its own.
    language: LanguageCode = "en"
    enrollment_server: str | None = None
    agent_download_url: str | None = None
    enrollment_api_key: SecretStr | None = None
    port: int = Field(default=3000, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - Slack must reach the bot; the console binds 127.0.0.1 itself

    # Derives the tokens in e-mailed links (see bot/tokens.py); a key file is made when unset.
    secret_key: SecretKey = None
    secret_key_file: str = "deskops.secret"  # noqa: S105 - a file name, not a secret

    ios_app_url: HttpUrl = "https://apps.apple.com/search?term=Acronis%20Access"
    android_app_url: HttpUrl = "https://play.google.com/store/search?q=Acronis%20Access&c=apps"
    enrollment_deep_link: DeepLinkTemplate = "acronisaccess://enroll?server={server}&username={username}"
    invitation_days_default: int = Field(default=7, ge=1, le=365)
    devices_per_licence: int = Field(default=3, ge=1)

    # The outbox worker: threads per process, and how long a claimed side effect stays claimed
    # before another worker (after a crash) takes it over.
    outbox_threads: int = Field(default=2, ge=1, le=32)
    outbox_lease_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)

    # Which customers each helpdesk person may act on (bot/access_file.py); unset: all of them.
    access_file: AccessFilePath = None

    phone_default_region: CountryCode = "US"
    activation_token_days: int = Field(default=7, ge=1, le=90)
    log_level: LogLevel = "INFO"
    log_format: LogFormat = LogFormat.TEXT

    # --- derived values -------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def support_address(self) -> str:
        """SUPPORT_EMAIL, else the address MAIL_FROM sends from (without its display name)."""
        if self.support_email:
            return self.support_email
        return parseaddr(self.mail_from)[1] or self.mail_from

    @property
    def slack_configured(self) -> bool:
        """Credentials of a real workspace: the bot token, with the signing secret (events over
        HTTP) or an app-level token (Socket Mode)."""
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    @property
    def slack_credentials_given(self) -> bool:
        """Any Slack credential at all (`make run` then serves Slack rather than the console)."""
        return any(
            value is not None
            for value in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        )

    def cross_field_problems(self) -> list[str]:
        problems: list[str] = []
        if self.slack_bot_token is None and self.slack_credentials_given:
            problems.append(
                "SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN (your Slack app's "
                "OAuth & Permissions → Bot User OAuth Token, xoxb-…)"
            )
        if self.slack_bot_token is not None and not self.slack_configured:
            problems.append(
                "SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN (your Slack app's Basic Information → "
                "App Credentials → Signing Secret), or set SLACK_APP_TOKEN for Socket Mode"
            )
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else None
        if token is not None and not token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN: must be a bot token starting with xoxb- (OAuth & Permissions)")
        app_token = self.slack_app_token.get_secret_value() if self.slack_app_token else None
        if app_token is not None and not app_token.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN: must be an app-level token starting with xapp- (Basic Information)"
            )
        if self.backup_provider is BackupProviderName.ACRONIS:
            for name in ("acronis_url", "acronis_client_id", "acronis_client_secret"):
                if getattr(self, name) is None:
                    problems.append(
                        f"{name.upper()}: required when BACKUP_PROVIDER=acronis "
                        "(create an API client in the Acronis management portal)"
                    )
        if self.approvals_channel and not self.approvers:
            problems.append(
                "APPROVERS: required when APPROVALS_CHANNEL is set (the user or user-group ids who may "
                "approve), or unset APPROVALS_CHANNEL to run actions without approval"
            )
        if self.directory_bind_dn and self.directory_bind_password is None:
            problems.append("DIRECTORY_BIND_PASSWORD: required when DIRECTORY_BIND_DN is set")
        return problems


def _env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else "configuration"


def _message(error: Any) -> str:
    text = str(error["msg"])
    # pydantic prefixes messages of our own ValueErrors with "Value error, ".
    return text.removeprefix("Value error, ")


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the configuration, raising ConfigError with one line per problem."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError([f"{_env_name(err['loc'])}: {_message(err)}" for err in exc.errors()]) from None
    problems = settings.cross_field_problems()
    if problems:
        raise ConfigError(problems)
    return settings


def slack_credentials_configured() -> bool:
    """Whether any Slack credential is set (environment or .env): `make run` then starts `deskops
    serve`, which names what is missing or wrong, else `deskops console`."""
    try:
        return load_settings().slack_credentials_given
    except ConfigError:
        return True  # `deskops serve` reports the problems
