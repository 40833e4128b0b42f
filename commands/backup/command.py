"""`/backup`: parse the text and hand over to the flow it names."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.backup.messages import customers_overview, help_message, notice, notice_text
from bot.accounts.platform_import import find_or_import_user
from bot.accounts.queries import user_counts
from bot.customers.scope import CustomerScope
from bot.customers.service import customer_summaries, find_customer
from bot.deps import Deps
from commands.access import require_helpdesk
from commands.backup.add_user import open_add_user
from commands.backup.cards import activate_user, users_page
from commands.backup.delete import open_delete_user
from commands.backup.edit import open_edit_user
from commands.backup.find import found_page
from commands.backup.import_users import open_import
from commands.backup.lifecycle import confirm_disable, enable, reset_password
from commands.backup.parsing import BackupCommand, Subcommand, UsageError, parse_backup_command
from commands.backup.user_settings import open_assign_service, open_user_settings
from commands.errors import answers_errors


def _ephemeral(respond: Respond, blocks: list[dict[str, Any]], text: str) -> None:
    respond(blocks=blocks, text=text, response_type="ephemeral")


def list_users_or_customers(
    deps: Deps, respond: Respond, customer_text: str | None, scope: CustomerScope
) -> None:
    with deps.db.read() as session:
        customers = [c for c in customer_summaries(session) if scope.allows(c.name)]
        customer_id = find_customer(session, customer_text, scope).id if customer_text else None
        if customer_id is None and len(customers) == 1:
            customer_id = customers[0].id
        if customer_id is None:
            counts = user_counts(session)
            overview = customers_overview([(c, counts.get(c.id, 0)) for c in customers])
    if customer_id is None:
        _ephemeral(respond, [b.to_dict() for b in overview], "Customers")
        return
    _ephemeral(respond, users_page(deps, customer_id=customer_id, offset=0), "Backup users")


def named_user(deps: Deps, parsed: BackupCommand, *, actor: str, scope: CustomerScope) -> int:
    """The user the command names by sign-in e-mail; an account made on the backup platform
    directly is found there and imported on first use."""
    return find_or_import_user(
        deps.db,
        deps.platform,
        deps.clock,
        email=parsed.email or "",
        customer_text=parsed.customer,
        actor=actor,
        scope=scope,
    )


def run_backup_command(
    parsed: BackupCommand, *, deps: Deps, client: WebClient, respond: Respond, command: dict[str, Any]
) -> None:
    trigger_id, channel_id = command["trigger_id"], command.get("channel_id")
    scope = deps.scopes.scope_for(command.get("user_id"))
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
        case Subcommand.ASSIGN:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            open_assign_service(deps, client, trigger_id=trigger_id, channel_id=channel_id, user_id=user_id)
        case Subcommand.SETTINGS:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            open_user_settings(deps, client, trigger_id=trigger_id, channel_id=channel_id, user_id=user_id)
        case Subcommand.ACTIVATE:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            text = activate_user(deps, user_id=user_id, actor=str(command["user_id"]))
            _ephemeral(respond, [b.to_dict() for b in notice(text)], notice_text(text))
        case Subcommand.DISABLE:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            _ephemeral(respond, confirm_disable(deps, user_id=user_id), "Disable this user?")
        case Subcommand.ENABLE:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            text = enable(deps, user_id=user_id, actor=str(command["user_id"]))
            _ephemeral(respond, [b.to_dict() for b in notice(text)], notice_text(text))
        case Subcommand.DELETE:
            actor = str(command["user_id"])
            user_id = named_user(deps, parsed, actor=actor, scope=scope)
            open_delete_user(
                deps, client, trigger_id=trigger_id, channel_id=channel_id, user_id=user_id, actor=actor
            )
        case Subcommand.EDIT:
            actor = str(command["user_id"])
            user_id = named_user(deps, parsed, actor=actor, scope=scope)
            open_edit_user(
                deps, client, trigger_id=trigger_id, channel_id=channel_id, user_id=user_id, actor=actor
            )
        case Subcommand.RESET:
            user_id = named_user(deps, parsed, actor=str(command["user_id"]), scope=scope)
            text = reset_password(deps, user_id=user_id, actor=str(command["user_id"]))
            _ephemeral(respond, [b.to_dict() for b in notice(text)], notice_text(text))
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
        case Subcommand.USERS:
            list_users_or_customers(deps, respond, parsed.customer, scope)
        case Subcommand.HELP:
            _ephemeral(respond, [b.to_dict() for b in help_message()], "/backup help")


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
