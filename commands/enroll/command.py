"""`/enroll`: invite, url, status, help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.messages import notice, notice_text
from blocks.enroll.messages import MAX_STATUS_INVITATIONS, help_message, status_message, url_message
from bot.deps import Deps
from bot.enrollment.devices import devices_of
from bot.enrollment.invitations import invitations_of
from bot.enrollment.licences import usage
from bot.enrollment.summary import status_summary
from commands.access import require_helpdesk
from commands.backup.parsing import UsageError
from commands.enroll.invite import open_invite
from commands.enroll.parsing import Subcommand, parse_enroll_command
from commands.errors import answers_errors


def _dicts(blocks: list[Any]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def status_blocks(deps: Deps, email: str | None) -> list[dict[str, Any]]:
    with deps.db.read() as session:
        invitations = invitations_of(session, email=email, limit=MAX_STATUS_INVITATIONS + 1)
        devices = devices_of(session, email) if email else []
        licences = usage(session, per_licence=deps.settings.devices_per_licence, email=email)
        summary = status_summary(
            email=email,
            invitations=invitations,
            devices=devices,
            people=licences.people,
            device_total=licences.devices,
            licensed_users=licences.licensed_users,
            devices_per_licence=deps.settings.devices_per_licence,
        )
    return _dicts(status_message(summary))


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
                blocks=_dicts(url_message(deps.settings.enrollment_server)),
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
