"""`/backup`: parse the text and hand over to the flow it names."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.messages import customers_overview, help_message, notice, notice_text
from bot.accounts.actions import ListUsers, UserAction
from bot.accounts.platform_import import find_or_import_user
from bot.accounts.reading import CustomersOverview, customer_to_list
from bot.customers.scope import CustomerScope
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.add_user import open_add_user
from commands.backup.cards import activate_user, users_page
from commands.backup.delete import open_delete_user
from commands.backup.edit import open_edit_user
from commands.backup.export_users import export_to_channel
from commands.backup.find import found_page
from commands.backup.import_users import open_import
from commands.backup.lifecycle import confirm_disable, enable, reset_password
from commands.backup.parsing import (
    NEEDS_EMAIL,
    BackupCommand,
    Subcommand,
    UsageError,
    parse_backup_command,
)
from commands.backup.user_settings import open_assign_service, open_user_settings
from commands.errors import answers_errors


def _ephemeral(respond: Respond, blocks: list[dict[str, Any]], text: str) -> None:
    respond(blocks=blocks, text=text, response_type="ephemeral")


def list_users_or_customers(
    deps: Deps, respond: Respond, customer_text: str | None, scope: CustomerScope
) -> None:
    chosen = customer_to_list(deps.db, customer_text=customer_text, scope=scope)
    if isinstance(chosen, CustomersOverview):
        blocks = customers_overview(chosen.customers)
        _ephemeral(respond, [b.to_dict() for b in blocks], "Customers")
        return
    _ephemeral(respond, users_page(deps, ListUsers(chosen, scope)), "Backup users")


def named_user(deps: Deps, parsed: BackupCommand, *, actor: str, scope: CustomerScope) -> UserAction:
    """The user the command names by sign-in e-mail; an account made on the backup platform
    directly is found there and imported on first use."""
    user_id = find_or_import_user(
        deps.db,
        deps.platform,
        deps.clock,
        email=parsed.email or "",
        customer_text=parsed.customer,
        actor=actor,
        scope=scope,
    )
    return UserAction(user_id, actor, scope)


def _tell(respond: Respond, text: str) -> None:
    _ephemeral(respond, [b.to_dict() for b in notice(text)], notice_text(text))


def run_backup_command(
    parsed: BackupCommand, *, deps: Deps, client: WebClient, respond: Respond, command: dict[str, Any]
) -> None:
    trigger_id, channel_id = command["trigger_id"], command.get("channel_id")
    scope = deps.scopes.scope_for(command.get("user_id"))
    if parsed.subcommand in NEEDS_EMAIL:
        run_user_command(parsed, deps=deps, client=client, respond=respond, command=command)
        return
    match parsed.subcommand:
        case Subcommand.ADD:
            open_add_user(
                deps,
                client,
                trigger_id=trigger_id,
                channel_id=channel_id,
                customer_text=parsed.customer,
                scope=scope,
            )
        case Subcommand.FIND:
            blocks = found_page(deps, text=parsed.text or "", scope=scope, offset=0)
            _ephemeral(respond, blocks, "Backup users found")
        case Subcommand.IMPORT:
            open_import(
                deps,
                client,
                trigger_id=trigger_id,
                channel_id=channel_id,
                customer_text=parsed.customer,
                scope=scope,
            )
        case Subcommand.EXPORT:
            text = export_to_channel(
                deps,
                client,
                channel_id=str(channel_id),
                user_id=str(command["user_id"]),
                customer_text=parsed.customer,
                scope=scope,
            )
            _ephemeral(respond, [b.to_dict() for b in notice(text)], notice_text(text))
        case Subcommand.USERS:
            list_users_or_customers(deps, respond, parsed.customer, scope)
        case Subcommand.HELP:
            _ephemeral(respond, [b.to_dict() for b in help_message()], "/backup help")


def run_user_command(
    parsed: BackupCommand, *, deps: Deps, client: WebClient, respond: Respond, command: dict[str, Any]
) -> None:
    """A subcommand about one user, named by e-mail."""
    trigger_id, channel_id = command["trigger_id"], command.get("channel_id")
    actor = str(command["user_id"])
    action = named_user(deps, parsed, actor=actor, scope=deps.scopes.scope_for(command.get("user_id")))
    match parsed.subcommand:
        case Subcommand.ASSIGN:
            open_assign_service(deps, client, trigger_id=trigger_id, channel_id=channel_id, action=action)
        case Subcommand.SETTINGS:
            open_user_settings(deps, client, trigger_id=trigger_id, channel_id=channel_id, action=action)
        case Subcommand.ACTIVATE:
            _tell(respond, activate_user(deps, action))
        case Subcommand.DISABLE:
            _ephemeral(respond, confirm_disable(deps, action), "Disable this user?")
        case Subcommand.ENABLE:
            _tell(respond, enable(deps, action))
        case Subcommand.DELETE:
            open_delete_user(deps, client, trigger_id=trigger_id, channel_id=channel_id, action=action)
        case Subcommand.EDIT:
            open_edit_user(deps, client, trigger_id=trigger_id, channel_id=channel_id, action=action)
        case Subcommand.RESET:
            _tell(respond, reset_password(deps, action))


@answers_errors
def handle_backup(
    ack: Ack,
    body: dict[str, Any],
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    deps: Deps,
) -> None:
    try:
        parsed = parse_backup_command(command.get("text", ""))
    except UsageError as error:
        blocks = notice(str(error)) + help_message()
        ack(text=notice_text(str(error)), blocks=[b.to_dict() for b in blocks])
        return
    ack()
    run_backup_command(parsed, deps=deps, client=client, respond=respond, command=command)


def register(app: App) -> None:
    app.command("/backup", middleware=[require_helpdesk])(handle_backup)
