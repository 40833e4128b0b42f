"""Messages of /backup: the users list, the customers overview, help and notices."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from blocks.backup.card import status_text
from blocks.backup.ids import ActionId
from blocks.backup.metadata import UsersPageRef
from blocks.text import escape, mrkdwn, plain
from bot.accounts.summary import UserSummary
from bot.customers.service import CustomerSummary


def users_list(
    *, customer: CustomerSummary, users: Sequence[UserSummary], total: int, offset: int, has_more: bool
) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{customer.name} — backup users", 150)),
        SectionBlock(
            text=mrkdwn(
                f"*{escape(customer.name)}* · Customer · "
                f"Subscriptions: {escape(', '.join(s.name for s in customer.subscriptions) or 'none')}"
            )
        ),
    ]
    if total == 0:
        blocks.append(
            ContextBlock(
                elements=[mrkdwn(f"No backup users yet. Add one with `/backup add {escape(customer.name)}`.")]
            )
        )
        return blocks
    blocks.append(DividerBlock())
    for user in users:
        services = f"Backup ({escape(user.backup.subscription)})" if user.backup else "No services"
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*{escape(user.full_name)}* · {escape(user.email)} · {user.role.label}\n"
                    f"{services} · {status_text(user)}"
                )
            )
        )
    shown_to = offset + len(users)
    blocks.append(ContextBlock(elements=[mrkdwn(f"Showing {offset + 1} to {shown_to} of {total:,} users")]))
    pager: list[ButtonElement] = []
    page = max(len(users), 1)
    if offset > 0:
        pager.append(
            ButtonElement(
                text=plain("Previous", 75),
                action_id=f"{ActionId.USERS_PAGE}.previous",
                value=UsersPageRef(customer_id=customer.id, offset=max(offset - page, 0)).model_dump_json(),
            )
        )
    if has_more:
        pager.append(
            ButtonElement(
                text=plain("Next", 75),
                action_id=f"{ActionId.USERS_PAGE}.next",
                value=UsersPageRef(customer_id=customer.id, offset=shown_to).model_dump_json(),
            )
        )
    if pager:
        blocks.append(ActionsBlock(elements=pager))
    return blocks


def customers_overview(customers: Sequence[tuple[CustomerSummary, int]]) -> list[Block]:
    """`/backup users` without a customer when there are several."""
    lines = [f"• *{escape(c.name)}* — {count:,} user{'s' if count != 1 else ''}" for c, count in customers]
    blocks: list[Block] = [HeaderBlock(text=plain("Customers", 150))]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(SectionBlock(text=mrkdwn("\n".join(chunk))))
    blocks.append(
        ContextBlock(elements=[mrkdwn("Type `/backup users <customer>` to list a customer's users.")])
    )
    return blocks[:50]


HELP_TEXT = "\n".join(
    [
        "*Backup accounts*",
        "`/backup add [customer]` — add a new backup user (opens *Add New User*)",
        "`/backup assign <email> [customer]` — assign the Backup service to an existing user",
        "`/backup settings <email> [customer]` — notifications, role and quotas of a user",
        "`/backup activate <email> [customer]` — send the activation e-mail",
        "`/backup users [customer]` — list a customer's users",
        "`/backup find <text>` — users whose name or e-mail contains the text, across your customers",
        "`/backup edit <email> [customer]` — correct names, e-mails, role, address or phone (*Edit User*)",
        "`/backup disable <email> [customer]` — the user can no longer sign in (asks first)",
        "`/backup enable <email> [customer]` — the user can sign in again",
        "`/backup reset <email> [customer]` — e-mail the user a one-time link to choose a new password",
        "`/backup delete <email> [customer]` — delete the user (type the e-mail to confirm)",
        "`/backup import [customer]` — create many users from a CSV file (opens *Import Users*)",
        "`/backup export [customer]` — a CSV file of a customer's users, posted to the channel",
        "`/backup help` — this help",
    ]
)


def help_message() -> list[Block]:
    return [SectionBlock(text=mrkdwn(HELP_TEXT))]


def notice_text(
    text: str, *, suggestions: Sequence[str] = (), suggestion_prefix: str = "Did you mean"
) -> str:
    """A short answer as mrkdwn, typed text escaped: the blocks' text and the message's `text`
    fallback (shown in notifications, and by clients without blocks) are the same string."""
    body = escape(text)
    if suggestions:
        listed = ", ".join(f"*{escape(s)}*" for s in suggestions)
        body += f"\n{suggestion_prefix}: {listed}?"
    return body


def notice(
    text: str, *, suggestions: Sequence[str] = (), suggestion_prefix: str = "Did you mean"
) -> list[Block]:
    """A short ephemeral answer, with close matches when there are some."""
    return [
        SectionBlock(
            text=mrkdwn(notice_text(text, suggestions=suggestions, suggestion_prefix=suggestion_prefix))
        )
    ]
