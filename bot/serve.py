"""`deskops serve`: the HTTP server, the outbox worker and (with SLACK_APP_TOKEN) Socket Mode."""

from __future__ import annotations

import logging
import socket
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

CONSOLE_BANNER = """\
deskops: no Slack workspace is configured (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are unset),
so this is the OFFLINE CONSOLE: the bot runs against a local Slack emulation, in this process.

  Open {url}
  It listens on 127.0.0.1 only: nobody but this machine can reach it.
  Mail: {mail}

To connect a real Slack workspace instead, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET
(README.md, section "Connect a Slack workspace") and run `deskops serve` again.
"""


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
    try:
        if not settings.slack_configured:
            return serve_console(settings, host=host, port=port)
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


def serve_console(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    """Console mode: the bot and the Slack emulation in one server on 127.0.0.1 (see bot.console.offline)."""
    from bot.console.offline import LOOPBACK, OfflineConsole

    if host is not None and host not in (LOOPBACK, "localhost"):
        print(f"the offline console listens on {LOOPBACK} only; --host {host} is ignored", file=sys.stderr)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port or settings.port))
    except OSError as error:
        print(
            f"cannot listen on {LOOPBACK}:{port or settings.port}: {error.strerror}; set PORT",
            file=sys.stderr,
        )
        return 1
    console = OfflineConsole.build(settings, port=int(sock.getsockname()[1]))
    if not schema_is_current(console.service.deps.db):
        sock.close()
        print("the database schema is not current: run `deskops db upgrade` first", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, secrets_of(console.settings))
    # The emulator's own requests to the bot (one per click) would fill the log; the bot logs them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    outbox = console.web.pages.outbox
    mail = (
        outbox.description
        if outbox.folder is None
        else f"written as .eml files to {outbox.folder}/ (the console's Outbox)"
    )
    print(CONSOLE_BANNER.format(url=console.url, mail=mail), flush=True)
    console.start_background()
    try:
        config = uvicorn.Config(console.app, log_config=None, access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        console.stop_background()
    return 0
