"""`deskops serve`: the HTTP server, the outbox worker and (with SLACK_APP_TOKEN) Socket Mode."""

from __future__ import annotations

import logging
import sys
from urllib.error import URLError

import uvicorn
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.logs import configure_logging
from bot.migrations import schema_is_current
from bot.unreachable import slack_unreachable
from bot.wiring import build_deps, build_service

log = logging.getLogger(__name__)

NO_WORKSPACE = """\
deskops cannot serve Slack: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are unset.
Create the Slack app from app.yaml (`deskops manifest`), install it, and copy the Bot User OAuth
Token and the Signing Secret (README.md, section "Connect a Slack workspace"); or run
`deskops console` for the offline console."""


def secrets_of(settings: Settings) -> list[str]:
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.acronis_client_secret,
        settings.directory_bind_password,
        settings.enrollment_api_key,
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    from urllib.parse import urlsplit

    password = urlsplit(settings.smtp_url.get_secret_value()).password
    if password:
        found.append(password)
    return found


def integration_problem(error: ValueError) -> int:
    """SMTP_URL, DIRECTORY_URL… that cannot be used: one line, like the other configuration problems."""
    print(f"deskops cannot start: the configuration has problems:\n  {error}", file=sys.stderr)
    return 2


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    configure_logging(settings.log_level, secrets_of(settings))
    if not settings.slack_configured:
        print(NO_WORKSPACE, file=sys.stderr)
        return 2
    try:
        deps = build_deps(settings)
    except ValueError as error:
        return integration_problem(error)
    if not schema_is_current(deps.db):
        print("the database schema is not current: run `deskops db upgrade` first", file=sys.stderr)
        return 1
    try:
        identity = deps.slack.auth_test()
    except (URLError, OSError) as error:
        print(f"deskops cannot start: {slack_unreachable(error, settings.slack_api_url)}", file=sys.stderr)
        return 2
    except SlackApiError as error:
        print(
            f"SLACK_BOT_TOKEN: Slack refused it ({error.response.get('error')}); copy the Bot User OAuth "
            "Token from OAuth & Permissions",
            file=sys.stderr,
        )
        return 2
    log.info("connected to Slack workspace %s as %s", identity.get("team"), identity.get("user"))
    service = build_service(deps)
    service.start_background()
    socket_mode = None
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(service.bolt, settings.slack_app_token.get_secret_value())
        socket_mode.connect()  # type: ignore[no-untyped-call]
        log.info("Socket Mode connected; Slack events arrive over the WebSocket")
    bind_host, bind_port = host or settings.host, port or settings.port
    log.info(
        "serving on http://%s:%s (Slack events at %s/slack/events)", bind_host, bind_port, settings.public_url
    )
    try:
        uvicorn.run(service.web, host=bind_host, port=bind_port, log_config=None, access_log=False)
    finally:
        if socket_mode is not None:
            socket_mode.close()  # type: ignore[no-untyped-call]
        service.stop_background()
    return 0
