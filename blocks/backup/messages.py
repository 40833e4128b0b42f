"""Messages of /backup: the user card, the users list, help and notices."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from blocks.backup.ids import ActionId
from blocks.backup.metadata import UserRef, UsersPageRef
from blocks.text import FIELD_TEXT_MAX, escape, mention, mrkdwn, plain, slack_date
from bot.accounts.jobs import FollowUp
from bot.accounts.models import ProvisioningState, UserStatus
from bot.accounts.summary import UserSummary
from bot.customers.service import CustomerSummary
from bot.integrations.backup.port import Quotas

QUOTA_NAMES = (
    ("storage_gb", "Storage", " GB"),
    ("workstations", "Workstations", ""),
    ("servers", "Servers", ""),
    ("virtual_machines", "Virtual machines", ""),
    ("mobile_devices", "Mobile devices", ""),
    ("m365_seats", "Microsoft 365 seats", ""),
)


def quotas_text(quotas: Quotas) -> str:
    values = vars(quotas)
    if all(value is None for value in values.values()):
        return "No limits"
    parts = [
        f"{label}: {values[key]:,}{unit}" if values[key] is not None else f"{label}: unlimited"
        for key, label, unit in QUOTA_NAMES
    ]
    return "\n".join(parts)


def follow_up_text(change: FollowUp, *, actor: str) -> str:
    """A line in a user card's thread."""
    return {
        FollowUp.DISABLED: f":no_entry: Disabled by {mention(actor)}: the user can no longer sign in.",
        FollowUp.ENABLED: f":arrow_forward: Enabled again by {mention(actor)}.",
        FollowUp.EDITED: f":pencil2: Details changed by {mention(actor)}.",
        FollowUp.DELETED: f":wastebasket: Deleted by {mention(actor)}; the audit trail keeps the record.",
    }[change]


def status_text(user: UserSummary) -> str:
    if user.status is UserStatus.DISABLED:
        return ":no_entry: Disabled (cannot sign in)"
    if user.status is UserStatus.DELETED:
        return ":wastebasket: Deleted"
    if user.status is UserStatus.ACTIVE:
        since = f" since {slack_date(user.activated_at)}" if user.activated_at else ""
        return f":white_check_mark: Active{since}"
    problem = user.activation_problem
    if problem is not None and problem.gave_up:
        return (
            f":warning: Pending activation — the activation e-mail could not be sent: {escape(problem.reason)}. "
            "Fix that, then press *Resend activation*."
        )
    if problem is not None:
        return (
            f":warning: Pending activation — the activation e-mail is not sent yet: {escape(problem.reason)}. "
            "It goes out by itself once mail works again."
        )
    if user.activation_sent_at is not None:
        return (
            f":hourglass_flowing_sand: Pending activation (e-mail sent {slack_date(user.activation_sent_at)})"
        )
    return ":hourglass_flowing_sand: Pending activation"


def _field(label: str, value: str) -> str:
    text = f"*{label}*\n{value}"
    return text if len(text) <= FIELD_TEXT_MAX else text[: FIELD_TEXT_MAX - 1] + "…"


def _user_ref(user: UserSummary) -> str:
    return UserRef(user_id=user.id).model_dump_json()


def user_card(user: UserSummary, *, headline: str = "Backup user created") -> list[Block]:
    """The confirmation posted after a change, updated in place as the user changes later."""
    account_fields = [
        _field("Name", escape(user.full_name)),
        _field("Email", escape(user.email)),
        _field("Role", user.role.label),
        _field("Customer", escape(user.customer)),
    ]
    if user.notification_email:
        account_fields.append(_field("Notification email", escape(user.notification_email)))
    if user.phone:
        account_fields.append(_field("Phone", escape(user.phone)))
    if user.address:
        account_fields.append(_field("Address", escape(user.address)))
    account_fields.append(_field("Status", status_text(user)))
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{headline}: {user.full_name}", 150)),
        SectionBlock(fields=[mrkdwn(f, FIELD_TEXT_MAX) for f in account_fields]),
    ]
    if user.backup is not None:
        blocks.append(
            SectionBlock(
                fields=[
                    mrkdwn(_field("Service", "Backup")),
                    mrkdwn(_field("Subscription", escape(user.backup.subscription))),
                    mrkdwn(_field("Notifications", user.backup.notification_level.label)),
                    mrkdwn(_field("Backup role", user.backup.backup_role.label)),
                    mrkdwn(_field("Quotas", quotas_text(user.backup.quotas))),
                ]
            )
        )
    else:
        blocks.append(SectionBlock(text=mrkdwn("*Services*\nNone assigned yet.")))
    if user.provisioning is ProvisioningState.PENDING:
        blocks.append(ContextBlock(elements=[mrkdwn(":gear: Applying the changes on the backup platform…")]))
    elif user.provisioning is ProvisioningState.FAILED:
        reason = escape(user.provisioning_error or "the backup platform did not answer")
        blocks.append(SectionBlock(text=mrkdwn(f":warning: *Not finished on the backup platform:* {reason}")))
    buttons: list[ButtonElement] = []
    if user.status is UserStatus.PENDING_ACTIVATION:
        buttons.append(
            ButtonElement(
                text=plain("Resend activation" if user.activation_sent_at else "Activate", 75),
                action_id=ActionId.ACTIVATE,
                value=_user_ref(user),
                style="primary",
                confirm=ConfirmObject(
                    title=plain("Send activation e-mail?", 100),
                    text=mrkdwn(f"An activation link goes to {escape(user.mail_to)}."[:300]),
                    confirm=plain("Send", 30),
                    deny=plain("Cancel", 30),
                )
                if user.activation_sent_at
                else None,
            )
        )
    if user.status is UserStatus.DELETED:
        blocks.append(
            ContextBlock(
                elements=[mrkdwn(f"Added by {mention(user.created_by)} on {slack_date(user.created_at)}")]
            )
        )
        return blocks
    # Opens Assign Service, or Backup User Settings once the user has the Backup service.
    buttons.append(
        ButtonElement(
            text=plain("Assign service", 75), action_id=ActionId.ASSIGN_SERVICE, value=_user_ref(user)
        )
    )
    # The card offers Enable once disabled; disabling starts from /backup disable (it asks first).
    if user.status is UserStatus.DISABLED:
        buttons.append(enable_button(user))
    if user.provisioning is ProvisioningState.FAILED:
        buttons.append(
            ButtonElement(
                text=plain("Retry", 75),
                action_id=ActionId.RETRY_PROVISIONING,
                value=_user_ref(user),
                style="danger",
            )
        )
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    blocks.append(
        ContextBlock(
            elements=[mrkdwn(f"Added by {mention(user.created_by)} on {slack_date(user.created_at)}")]
        )
    )
    return blocks


def enable_button(user: UserSummary) -> ButtonElement:
    return ButtonElement(
        text=plain("Enable", 75), action_id=ActionId.ENABLE, value=_user_ref(user), style="primary"
    )


def disable_confirmation(user: UserSummary) -> list[Block]:
    """`/backup disable` asks once more before acting."""
    return [
        SectionBlock(
            text=mrkdwn(
                f"Disable *{escape(user.full_name)}* ({escape(user.email)}) at *{escape(user.customer)}*? "
                "They will no longer be able to sign in, and get no more reminders."
            )
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=plain("Disable", 75),
                    action_id=ActionId.DISABLE,
                    value=_user_ref(user),
                    style="danger",
                )
            ]
        ),
    ]


def user_card_text(user: UserSummary) -> str:
    """Notification fallback text of the card."""
    # Slack formats the fallback as mrkdwn too (notifications): a typed <!channel> must stay text.
    return f"Backup user {escape(user.full_name)} ({escape(user.email)}) for {escape(user.customer)}: {user.status.label}"


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
