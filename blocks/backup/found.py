"""The answer to /backup find: matching users across customers, each with its actions, paged."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

from blocks.backup.card import status_text
from blocks.backup.ids import ActionId
from blocks.backup.metadata import FindPageRef, UserRef
from blocks.text import escape, mrkdwn, plain
from bot.accounts.models import UserStatus
from bot.accounts.summary import UserSummary


def _actions(user: UserSummary) -> ActionsBlock:
    value = UserRef(user_id=user.id).model_dump_json()
    buttons = []
    if user.status is UserStatus.PENDING_ACTIVATION:
        buttons.append(ButtonElement(text=plain("Activate", 75), action_id=ActionId.ACTIVATE, value=value))
    # Named as on the card: for a user with Backup it opens Backup User Settings.
    buttons.append(
        ButtonElement(text=plain("Assign service", 75), action_id=ActionId.ASSIGN_SERVICE, value=value)
    )
    return ActionsBlock(elements=buttons)


def found_users(
    *, text: str, users: Sequence[UserSummary], total: int, offset: int, has_more: bool
) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=plain(f"Users matching “{text}”", 150))]
    if total == 0:
        blocks.append(
            ContextBlock(elements=[mrkdwn(f"No backup user's name or e-mail contains “{escape(text)}”.")])
        )
        return blocks
    for user in users:
        services = f"Backup ({escape(user.backup.subscription)})" if user.backup else "No services"
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*{escape(user.full_name)}* · {escape(user.email)} · *{escape(user.customer)}*\n"
                    f"{user.role.label} · {services} · {status_text(user)}"
                )
            )
        )
        blocks.append(_actions(user))
    shown_to = offset + len(users)
    blocks.append(ContextBlock(elements=[mrkdwn(f"Showing {offset + 1} to {shown_to} of {total:,} users")]))
    pager: list[ButtonElement] = []
    page = max(len(users), 1)
    if offset > 0:
        previous = FindPageRef(text=text, offset=max(offset - page, 0)).model_dump_json()
        pager.append(
            ButtonElement(
                text=plain("Previous", 75), action_id=f"{ActionId.FIND_PAGE}.previous", value=previous
            )
        )
    if has_more:
        following = FindPageRef(text=text, offset=shown_to).model_dump_json()
        pager.append(
            ButtonElement(text=plain("Next", 75), action_id=f"{ActionId.FIND_PAGE}.next", value=following)
        )
    if pager:
        blocks.append(ActionsBlock(elements=pager))
    return blocks
