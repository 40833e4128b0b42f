"""`deskops serve`: the HTTP server, the outbox worker and (with SLACK_APP_TOKEN) Socket Mode."""

from __future__ import annotations

import gc
import logging
import os
import secrets
import sys
from urllib.error import URLError

import uvicorn
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.collector import FullCollections
from bot.config import Settings
from bot.logs import configure_logging
from bot.migrations import schema_is_current
from bot.unreachable import slack_unreachable
from bot.wiring import build_deps, build_service

log = logging.getLogger(__name__)

EXIT_NO_CREDENTIALS = 2

NO_CREDENTIALS = """\
deskops serve: no Slack credentials are configured, so there is nothing to serve.
  Set SLACK_BOT_TOKEN (your Slack app's OAuth & Permissions → Bot User OAuth Token, xoxb-…) and
  SLACK_SIGNING_SECRET (Basic Information → App Credentials → Signing Secret), or SLACK_APP_TOKEN
  (Basic Information → App-Level Tokens, xapp-…) for Socket Mode, in the environment or a .env
  file. Create the app at https://api.slack.com/apps from `deskops manifest` (README.md, section
  "Connect a Slack workspace").{misspelt}
  To try deskops without Slack, run `deskops console`: the offline console, a demo on 127.0.0.1.
"""
KNOWN_SLACK_VARIABLES = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"}


def secrets_of(settings: Settings) -> list[str]:
    """Every secret setting (each SecretStr field: tokens, signing secret, SECRET_KEY, API keys,
    passwords — a new one is scrubbed without being listed here), and SMTP_URL's password."""
    found = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if name != "smtp_url" and isinstance(value := getattr(settings, name), SecretStr)
    ]
    from urllib.parse import urlsplit

    password = urlsplit(settings.smtp_url.get_secret_value()).password
    if password:
        found.append(password)
    return found


def integration_problem(error: ValueError) -> int:
    """SMTP_URL, DIRECTORY_URL… that cannot be used: one line, like the other configuration problems."""
    print(f"deskops cannot start: the configuration has problems:\n  {error}", file=sys.stderr)
    return 2


def refuse_without_credentials() -> int:
    unknown = sorted(
        name for name in os.environ if name.startswith("SLACK_") and name not in KNOWN_SLACK_VARIABLES
    )
    misspelt = f"\n  Not read (misspelt?): {', '.join(unknown)}." if unknown else ""
    print(NO_CREDENTIALS.format(misspelt=misspelt), end="", file=sys.stderr)
    return EXIT_NO_CREDENTIALS


def freeze_startup_heap() -> None:
    """Leave what start-up built (modules, the app, the pools) out of every later garbage
    collection. A full collection walks every tracked object while holding the GIL: with the
    start-up heap included it took 100-200 ms, and each one that fell inside a burst of Slack
    requests delayed every ack in it by that much."""
    gc.collect()
    gc.freeze()


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    """The production server. Without Slack credentials it refuses to start (exit 2), whatever the
    database: the offline console is `deskops console`, never a fallback."""
    if not settings.slack_configured:
        return refuse_without_credentials()
    if settings.slack_signing_secret is None:
        # Socket Mode without a signing secret: events come over the WebSocket, and /slack/events
        # answers 401 to everything, since nobody knows this secret.
        settings = settings.model_copy(update={"slack_signing_secret": SecretStr(secrets.token_hex(32))})
    configure_logging(settings.log_level, secrets_of(settings), settings.log_format.value)
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
    freeze_startup_heap()
    collections = FullCollections(service.traffic.lull)
    collections.start()
    log.info(
        "serving on http://%s:%s (Slack events at %s/slack/events)", bind_host, bind_port, settings.public_url
    )
    try:
        uvicorn.run(service.web, host=bind_host, port=bind_port, log_config=None, access_log=False)
    finally:
        if socket_mode is not None:
            socket_mode.close()  # type: ignore[no-untyped-call]
        service.stop_background()
        collections.stop()
    return 0
