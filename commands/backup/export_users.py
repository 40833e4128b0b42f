"""`/backup export [customer]`: the customer's users as a CSV file, shared in the channel."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.accounts.export import export_users
from bot.accounts.import_flow import import_target
from bot.customers.scope import CustomerScope
from bot.deps import Deps
from bot.errors import InvalidState
from bot.slack.files import upload_file

# Where Slack refuses the file in the channel (the bot is not in it): it goes to the person directly.
NOT_THERE = ("not_in_channel", "channel_not_found", "is_archived")


def export_to_channel(
    deps: Deps,
    client: WebClient,
    *,
    channel_id: str,
    user_id: str,
    customer_text: str | None,
    scope: CustomerScope,
) -> str:
    """Share the export; what to tell the person."""
    chosen = import_target(deps.db, customer_text=customer_text, scope=scope).chosen
    if chosen is None:
        raise InvalidState("Name the customer: `/backup export <customer>`.")
    export = export_users(deps.db, customer_text=chosen[1], scope=scope, now=deps.clock.now())
    users = f"{export.users:,} user{'s' if export.users != 1 else ''}"
    comment = f"{export.customer}: {users} (exported by <@{user_id}>)"
    try:
        upload_file(
            client,
            channel=channel_id,
            name=export.file_name,
            data=export.data,
            title=export.file_name,
            comment=comment,
        )
        return f"{export.file_name} ({users} of {export.customer}) is posted in this channel."
    except SlackApiError as error:
        if error.response.get("error") not in NOT_THERE:
            raise
    direct = str(client.conversations_open(users=user_id)["channel"]["id"])
    upload_file(
        client,
        channel=direct,
        name=export.file_name,
        data=export.data,
        title=export.file_name,
        comment=comment,
    )
    return f"{export.file_name} ({users} of {export.customer}) is in your direct messages with the bot (it is not in this channel)."
