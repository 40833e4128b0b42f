"""Reminder messages (HELPDESK_CHANNEL) and their items, shared with App Home: invitations about
to expire with Resend / Extend / Revoke, users pending activation with Activate."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    SectionBlock,
)

from blocks.backup.ids import ActionId as BackupAction
from blocks.backup.metadata import UserRef
from blocks.enroll.ids import ActionId as EnrollAction
from blocks.enroll.messages import another_device_button
from blocks.enroll.metadata import InvitationRef
from blocks.text import escape, mrkdwn, plain, slack_date
from bot.enrollment.models import InvitationState
from bot.reminders.service import ActivationReminder, InvitationReminder

# Invitations whose link can still be renewed or withdrawn from a reminder.
ACTIONABLE = (InvitationState.QUEUED, InvitationState.SENT, InvitationState.OPENED, InvitationState.EXPIRED)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def invitation_blocks(item: InvitationReminder) -> list[Block]:
    ref = InvitationRef(invitation_id=item.invitation_id).model_dump_json()
    expiry = "expired" if item.state is InvitationState.EXPIRED else "expires"
    blocks: list[Block] = [
        SectionBlock(
            text=mrkdwn(
                f"*{escape(item.name)}* · {escape(item.email)} · {escape(item.platform)}\n"
                f"{item.state.label} · {expiry} {slack_date(item.expires_at)}"
            )
        )
    ]
    if item.state in ACTIONABLE:
        blocks.append(
            ActionsBlock(
                block_id=f"invitation-{item.invitation_id}",
                elements=[
                    ButtonElement(
                        text=plain("Resend", 75), action_id=EnrollAction.RESEND, value=ref, style="primary"
                    ),
                    ButtonElement(text=plain("Extend", 75), action_id=EnrollAction.EXTEND, value=ref),
                    # One key per invitation and expiry window: this reminder's button (and App
                    # Home's for the same invitation) sends one more invitation, once.
                    another_device_button(
                        item.invitation_id,
                        f"reminder:{item.invitation_id}:{int(item.expires_at.timestamp())}",
                    ),
                    ButtonElement(
                        text=plain("Revoke", 75),
                        action_id=EnrollAction.REVOKE,
                        value=ref,
                        style="danger",
                        confirm=ConfirmObject(
                            title=plain("Revoke the invitation?", 100),
                            text=mrkdwn(f"The link sent to {escape(item.email)} stops working."[:300]),
                            confirm=plain("Revoke", 30),
                            deny=plain("Keep it", 30),
                        ),
                    ),
                ],
            )
        )
    return blocks


def user_block(item: ActivationReminder) -> SectionBlock:
    sent = (
        f"activation e-mail sent {slack_date(item.activation_sent_at)}"
        if item.activation_sent_at
        else f"added {slack_date(item.since)}, no activation e-mail yet"
    )
    text = f"*{escape(item.name)}* · {escape(item.email)} · {escape(item.customer)}\n{sent}"
    if item.active:
        return SectionBlock(text=mrkdwn(text + " · :white_check_mark: now active"))
    return SectionBlock(
        text=mrkdwn(text),
        accessory=ButtonElement(
            # Activate whether or not an e-mail went before (DESIGN §1); the line above says when.
            text=plain("Activate", 75),
            action_id=BackupAction.ACTIVATE,
            value=UserRef(user_id=item.user_id).model_dump_json(),
        ),
    )


def reminder_message(
    invitations: Sequence[InvitationReminder],
    users: Sequence[ActivationReminder],
    *,
    window_hours: int,
    pending_days: int,
) -> list[Block]:
    blocks: list[Block] = []
    if invitations:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f":alarm_clock: *{_plural(len(invitations), 'invitation expires', 'invitations expire')} "
                    f"within {window_hours} hours*"
                )
            )
        )
        for item in invitations:
            blocks += invitation_blocks(item)
    if users:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f":hourglass_flowing_sand: *{_plural(len(users), 'user is', 'users are')} still pending "
                    f"activation after {_plural(pending_days, 'day', 'days')}*"
                )
            )
        )
        blocks += [user_block(item) for item in users]
    if not blocks:
        blocks.append(ContextBlock(elements=[mrkdwn("Nothing to remind about any more.")]))
    return blocks[:50]


def reminder_text(invitations: Sequence[InvitationReminder], users: Sequence[ActivationReminder]) -> str:
    parts = []
    if invitations:
        parts.append(_plural(len(invitations), "invitation expires soon", "invitations expire soon"))
    if users:
        parts.append(
            _plural(len(users), "user is still pending activation", "users are still pending activation")
        )
    return "Reminder: " + ("; ".join(parts) or "nothing pending")
