"""The user card: the confirmation posted after a change to a backup user, updated in place as the
user changes later, and the lines posted in its thread."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

from blocks.backup.ids import ActionId
from blocks.backup.metadata import UserRef
from blocks.text import FIELD_TEXT_MAX, escape, mention, mrkdwn, plain, slack_date
from bot.accounts.jobs import FollowUp
from bot.accounts.models import ProvisioningState, UserStatus
from bot.accounts.summary import UserSummary
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
        FollowUp.SERVICE_ASSIGNED: f":package: Backup service assigned by {mention(actor)}.",
        FollowUp.SETTINGS_CHANGED: f":gear: Backup settings changed by {mention(actor)}.",
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


def _account_section(user: UserSummary) -> SectionBlock:
    fields = [
        _field("Name", escape(user.full_name)),
        _field("Email", escape(user.email)),
        _field("Role", user.role.label),
        _field("Customer", escape(user.customer)),
    ]
    if user.notification_email:
        fields.append(_field("Notification email", escape(user.notification_email)))
    if user.phone:
        fields.append(_field("Phone", escape(user.phone)))
    if user.address:
        fields.append(_field("Address", escape(user.address)))
    fields.append(_field("Status", status_text(user)))
    return SectionBlock(fields=[mrkdwn(f, FIELD_TEXT_MAX) for f in fields])


def _services_section(user: UserSummary) -> SectionBlock:
    if user.backup is None:
        return SectionBlock(text=mrkdwn("*Services*\nNone assigned yet."))
    return SectionBlock(
        fields=[
            mrkdwn(_field("Service", "Backup")),
            mrkdwn(_field("Subscription", escape(user.backup.subscription))),
            mrkdwn(_field("Notifications", user.backup.notification_level.label)),
            mrkdwn(_field("Backup role", user.backup.backup_role.label)),
            mrkdwn(_field("Quotas", quotas_text(user.backup.quotas))),
        ]
    )


def _provisioning_blocks(user: UserSummary) -> list[Block]:
    """Whether the platform has caught up with the last change, or why not."""
    if user.provisioning is ProvisioningState.PENDING:
        return [ContextBlock(elements=[mrkdwn(":gear: Applying the changes on the backup platform…")])]
    if user.provisioning is ProvisioningState.FAILED:
        reason = escape(user.provisioning_error or "the backup platform did not answer")
        return [SectionBlock(text=mrkdwn(f":warning: *Not finished on the backup platform:* {reason}"))]
    return []


def _activate_button(user: UserSummary) -> ButtonElement:
    """Activate; once an e-mail went, Resend activation, which asks first."""
    confirm = None
    if user.activation_sent_at:
        confirm = ConfirmObject(
            title=plain("Send activation e-mail?", 100),
            text=mrkdwn(f"An activation link goes to {escape(user.mail_to)}."[:300]),
            confirm=plain("Send", 30),
            deny=plain("Cancel", 30),
        )
    return ButtonElement(
        text=plain("Resend activation" if user.activation_sent_at else "Activate", 75),
        action_id=ActionId.ACTIVATE,
        value=_user_ref(user),
        style="primary",
        confirm=confirm,
    )


def _buttons(user: UserSummary) -> list[ButtonElement]:
    """What can be done next; a deleted user's card has no buttons."""
    if user.status is UserStatus.DELETED:
        return []
    buttons: list[ButtonElement] = []
    if user.status is UserStatus.PENDING_ACTIVATION:
        buttons.append(_activate_button(user))
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
    return buttons


def user_card(user: UserSummary, *, headline: str = "Backup user created") -> list[Block]:
    """The confirmation posted after a change, updated in place as the user changes later."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{headline}: {user.full_name}", 150)),
        _account_section(user),
        _services_section(user),
        *_provisioning_blocks(user),
    ]
    buttons = _buttons(user)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    added = f"Added by {mention(user.created_by)} on {slack_date(user.created_at)}"
    blocks.append(ContextBlock(elements=[mrkdwn(added)]))
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
