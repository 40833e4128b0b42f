"""The offline console: `deskops console` runs the bot against the local Slack emulator of
`console/`, both in one server on 127.0.0.1, with a browser console at /console.

This module, not `bot/`, composes the two: the bot reaches the emulator only the way it reaches
Slack (SLACK_API_URL and signed requests to /slack/events), so `bot/` never imports `console/`.

    console = OfflineConsole.build(settings, port=3000)
    console.start_background()             # the bot's outbox worker
    uvicorn / BackgroundServer(console.app) on 127.0.0.1:3000
    console.stop_background()

One ASGI app routes `/console…` (the page, its API, the emulated Web API) to the console and
everything else (`/slack/events`, `/activate/…`, `/healthz`…) to the bot's own web app, so the
bot is exactly what `deskops serve` runs against real Slack: only SLACK_API_URL differs. The
signing secret and bot token are new random values on every start.
"""

from __future__ import annotations

import logging
import secrets
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from pydantic import SecretStr
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.config import Settings
from bot.db import Database
from bot.integrations.mail.file import FileMailer
from bot.integrations.mail.smtp_url import redact_smtp_url
from bot.logs import configure_logging
from bot.migrations import PROJECT_ROOT, schema_is_current
from bot.resources import manifest_file
from bot.serve import integration_problem, secrets_of
from bot.wiring import Service, build_deps, build_service
from console.actions import ConsoleActions, SlashCommand
from console.blockkit import BlockKitLimits
from console.emulator import SlackEmulator
from console.outbox import OutboxFolder
from console.pages import ClientErrors, ConsolePages, Persona
from console.web import PREFIX, ConsoleWeb

log = logging.getLogger(__name__)

BANNER = """\
deskops console: the OFFLINE CONSOLE, a demo of the bot against a local Slack emulation, in this
process. It is not a production server: for a real Slack workspace run `deskops serve`.

  Open {url}
  It listens on 127.0.0.1 only: nobody but this machine can reach it.
  Mail: {mail}
{samples}
To connect a real Slack workspace instead, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET
(README.md, section "Connect a Slack workspace") and run `deskops serve`.
"""

LIMITS_FILE = PROJECT_ROOT.parent / "shared" / "slack" / "blockkit-limits.json"
MANIFEST_FILE = manifest_file()
LOOPBACK = "127.0.0.1"

# The seeded workspace: who is who, so that permissions really apply.
HELPDESK_PERSON = "U0HELEN01"
APPROVER = "U0ANNA001"
OUTSIDER = "U0SAM0001"
HELPDESK_GROUP = "S0HELPDSK"
HELPDESK_CHANNEL = "C0HELPDSK"
GENERAL_CHANNEL = "C0GENERAL"
APPROVALS_CHANNEL = "C0APPROVL"
PERSONAS = (
    Persona(HELPDESK_PERSON, "helpdesk (@helpdesk)"),
    Persona(APPROVER, "approver (@helpdesk, APPROVERS)"),
    Persona(OUTSIDER, "not in HELPDESK_USERS"),
)


class UncheckedLimits(BlockKitLimits):
    """Used when the shared Block Kit limits file is not next to the project: nothing is checked."""

    def __init__(self) -> None:
        self.data = {}

    def validate_message(self, blocks: Any, text: str | None = None, attachments: Any = None) -> list[str]:
        return []

    def validate_view(self, view: Any) -> list[str]:
        return []


def load_limits(path: Path = LIMITS_FILE) -> BlockKitLimits:
    if path.is_file():
        return BlockKitLimits.load(path)
    log.warning("%s not found: messages and views are not checked against Block Kit limits", path)
    return UncheckedLimits()


def load_commands(path: Path = MANIFEST_FILE) -> list[SlashCommand]:
    """The slash commands of the app manifest (what the Slack app would offer)."""
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        listed = manifest["features"]["slash_commands"]
        return [
            SlashCommand(str(c["command"]), str(c.get("description", "")), str(c.get("usage_hint", "")))
            for c in listed
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return [SlashCommand("/backup"), SlashCommand("/enroll")]


def seed_workspace(emulator: SlackEmulator, *, tz: str) -> None:
    """A helpdesk person, an approver, someone unauthorised; #helpdesk and #approvals (with the
    app) and #general (without it)."""
    emulator.add_user(HELPDESK_PERSON, name="helen", real_name="Helen Desk", email="helen@msp.example", tz=tz)
    emulator.add_user(APPROVER, name="anna", real_name="Anna Approver", email="anna@msp.example", tz=tz)
    emulator.add_user(OUTSIDER, name="sam", real_name="Sam Sales", email="sam@msp.example", tz=tz)
    everyone = [HELPDESK_PERSON, APPROVER, OUTSIDER]
    emulator.add_channel(HELPDESK_CHANNEL, name="helpdesk", members=everyone, bot_is_member=True)
    emulator.add_channel(GENERAL_CHANNEL, name="general", members=everyone, bot_is_member=False)
    emulator.add_channel(
        APPROVALS_CHANNEL, name="approvals", members=[HELPDESK_PERSON, APPROVER], bot_is_member=True
    )
    emulator.add_usergroup(
        HELPDESK_GROUP, handle="helpdesk", name="Helpdesk", users=[HELPDESK_PERSON, APPROVER]
    )


DEMO_AGENT_DOWNLOAD_URL = "https://cloud.acronis.com/"


def console_settings(settings: Settings, *, base_url: str, bot_token: str, signing_secret: str) -> Settings:
    """The bot's settings in console mode: Slack is the emulator, links point at this server."""
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(bot_token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_app_token": None,
            "slack_api_url": f"{base_url}{PREFIX}/slack/api/",
            "public_url": base_url,
            "helpdesk_users": [HELPDESK_GROUP],
            "approvers": [APPROVER],
            "helpdesk_channel": HELPDESK_CHANNEL,
            "approvals_channel": APPROVALS_CHANNEL,
            "host": LOOPBACK,
            # /enroll works out of the box: a demo server name, unless one is configured.
            "enrollment_server": settings.enrollment_server or "access.deskops.example",
            # The activation page shows where to get the agent: the platform's sign-in page.
            "agent_download_url": settings.agent_download_url or DEMO_AGENT_DOWNLOAD_URL,
        }
    )


class ConsoleRouter:
    """`/console…` to the console, `/` to the console page, everything else to the bot."""

    def __init__(self, console: ASGIApp, bot: ASGIApp) -> None:
        self.console = console
        self.bot = bot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path == "/":
            await RedirectResponse(PREFIX)(scope, receive, send)
        elif scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.console(scope, receive, send)
        else:
            await self.bot(scope, receive, send)  # lifespan too: the bot's start-up settings


@dataclass
class OfflineConsole:
    settings: Settings  # as the bot runs with them (SLACK_API_URL is the emulator)
    emulator: SlackEmulator
    service: Service
    web: ConsoleWeb
    app: ASGIApp
    base_url: str

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        port: int,
        limits: BlockKitLimits | None = None,
        commands: Sequence[SlashCommand] | None = None,
        poll_interval: float = 1.0,
    ) -> OfflineConsole:
        base_url = f"http://{LOOPBACK}:{port}"
        emulator = SlackEmulator(
            signing_secret=secrets.token_hex(16),
            bot_token="xoxb-console-" + secrets.token_hex(12),
            limits=limits or load_limits(),
        ).mount(f"{base_url}{PREFIX}/slack")
        emulator.events_url = f"{base_url}/slack/events"
        emulator.load_manifest(MANIFEST_FILE)
        seed_workspace(emulator, tz=settings.timezone)
        bot_settings = console_settings(
            settings, base_url=base_url, bot_token=emulator.bot_token, signing_secret=emulator.signing_secret
        )
        deps = build_deps(bot_settings)
        service = build_service(deps, poll_interval=poll_interval)
        listed = list(commands) if commands is not None else load_commands()
        errors = ClientErrors()
        pages = ConsolePages(emulator.workspace, outbox_of(bot_settings, deps.mailer), PERSONAS, errors)
        assert emulator.driver is not None
        actions = ConsoleActions(emulator.workspace, emulator.driver, listed, errors)
        web = ConsoleWeb(
            pages, actions, slack_api=emulator.webapi.app, commands=listed, listen=f"{LOOPBACK}:{port}"
        )
        return cls(bot_settings, emulator, service, web, ConsoleRouter(web, service.web), base_url)

    @property
    def url(self) -> str:
        return f"{self.base_url}{PREFIX}"

    def start_background(self) -> None:
        self.service.start_background()

    def stop_background(self) -> None:
        self.service.stop_background()
        self.emulator.stop()
        self.service.deps.db.dispose()


def outbox_of(settings: Settings, mailer: object) -> OutboxFolder:
    if isinstance(mailer, FileMailer):
        folder = mailer.folder
        return OutboxFolder(folder, description=f"E-mails the app sent: .eml files in {folder.resolve()}")
    url = redact_smtp_url(settings.smtp_url.get_secret_value())
    return OutboxFolder(None, description=f"Mail goes to the SMTP server {url}; the console cannot show it.")


def run_console(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    """`deskops console`: the bot and the Slack emulation in one server on 127.0.0.1, with the
    sample customers in an empty database."""
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
    try:
        console = OfflineConsole.build(settings, port=int(sock.getsockname()[1]))
    except ValueError as error:
        sock.close()
        return integration_problem(error)
    if not schema_is_current(console.service.deps.db):
        sock.close()
        print("the database schema is not current: run `deskops db upgrade` first", file=sys.stderr)
        return 1
    samples = load_sample_customers(console.service.deps.db)
    configure_logging(settings.log_level, secrets_of(console.settings), settings.log_format.value)
    # The emulator's own requests to the bot (one per click) would fill the log; the bot logs them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    outbox = console.web.pages.outbox
    mail = (
        outbox.description
        if outbox.folder is None
        else f"written as .eml files to {outbox.folder}/ (the console's Outbox)"
    )
    print(BANNER.format(url=console.url, mail=mail, samples=samples), flush=True)
    console.start_background()
    try:
        config = uvicorn.Config(console.app, log_config=None, access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        console.stop_background()
    return 0


SAMPLE_CUSTOMERS = Path(str(resources.files("bot.sample") / "customers.yaml"))


def load_sample_customers(db: Database) -> str:
    """The sample customers, into a database without customers only: the console is a demo, and a
    database that has customers is somebody's own. `deskops serve` never calls this."""
    from bot.clock import utcnow
    from bot.customers.service import customer_count, import_customers, parse_customer_file

    document = parse_customer_file(yaml.safe_load(SAMPLE_CUSTOMERS.read_text(encoding="utf-8")))
    with db.transaction() as session:
        if customer_count(session) > 0:
            return ""
        report = import_customers(session, document, now=utcnow(), actor="console")
    return f"  Sample customers: {report.created} loaded into the empty database ({SAMPLE_CUSTOMERS.name}).\n"
