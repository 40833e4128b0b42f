"""`/enroll`: invite, url, status, help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.messages import notice, notice_text
from blocks.enroll.messages import help_message, url_message
from bot.deps import Deps
from bot.enrollment.links import EnrollmentLinks
from commands.access import require_helpdesk
from commands.backup.parsing import UsageError
from commands.enroll.invite import open_invite
from commands.enroll.parsing import Subcommand, parse_enroll_command
from commands.enroll.status import status_blocks
from commands.errors import answers_errors


def _dicts(blocks: list[Any]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def url_blocks(deps: Deps) -> list[dict[str, Any]]:
    links = EnrollmentLinks.from_settings(deps.settings)
    return _dicts(
        url_message(
            url=links.basic_url, qr_url=f"{links.basic_url}/qr.png", server=deps.settings.enrollment_server
        )
    )


@answers_errors
def handle_enroll(
    ack: Ack,
    body: dict[str, Any],
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    deps: Deps,
) -> None:
    try:
        parsed = parse_enroll_command(command.get("text", ""))
    except UsageError as error:
        ack(text=notice_text(str(error)), blocks=_dicts(notice(str(error)) + help_message()))
        return
    ack()
    match parsed.subcommand:
        case Subcommand.INVITE:
            open_invite(
                deps,
                client,
                trigger_id=command["trigger_id"],
                channel_id=command.get("channel_id"),
                user_id=str(command["user_id"]),
            )
        case Subcommand.URL:
            respond(
                text="Basic enrollment URL",
                blocks=url_blocks(deps),
                response_type="ephemeral",
            )
        case Subcommand.STATUS:
            respond(
                text="Enrollment status", blocks=status_blocks(deps, parsed.email), response_type="ephemeral"
            )
        case Subcommand.HELP:
            respond(text="/enroll help", blocks=_dicts(help_message()), response_type="ephemeral")


def register(app: App) -> None:
    app.command("/enroll", middleware=[require_helpdesk])(handle_enroll)
