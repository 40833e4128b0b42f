"""Messages of /enroll: the batch progress card, status, the basic URL, help."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    SectionBlock,
)

from blocks.enroll.ids import ActionId
from blocks.enroll.metadata import AnotherDeviceRef, BatchRef, InvitationRef, StatusPageRef
from blocks.enroll.progress import progress_text
from blocks.paging import pager
from blocks.text import escape, mention, mrkdwn, plain, slack_date
from bot.enrollment.another_device import AnotherInvitation
from bot.enrollment.models import BatchState, InvitationState
from bot.enrollment.summary import BatchSummary, InvitationItem, Listed, PersonItem, StatusSummary

STATE_EMOJI = {
    InvitationState.QUEUED: ":hourglass_flowing_sand:",
    InvitationState.SENT: ":envelope:",
    InvitationState.OPENED: ":eyes:",
    InvitationState.ENROLLED: ":white_check_mark:",
    InvitationState.EXPIRED: ":clock3:",
    InvitationState.REVOKED: ":no_entry_sign:",
    InvitationState.FAILED: ":warning:",
}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def batch_headline(batch: BatchSummary) -> str:
    if batch.state is BatchState.PENDING_APPROVAL:
        return f"Waiting for approval to send {_plural(batch.invitations, 'invitation')}"
    if batch.state is BatchState.REJECTED:
        return f"{_plural(batch.invitations, 'invitation')} not sent: the request was rejected"
    if batch.state is BatchState.DONE:
        failed = f", {batch.failed:,} failed" if batch.failed else ""
        return f"{_plural(batch.sent, 'invitation')} sent{failed}"
    if batch.state is BatchState.WAITING:
        return f"Waiting to send {_plural(batch.queued, 'invitation')}… {batch.sent:,} sent"
    if batch.outlook is not None and batch.outlook.paused:
        return f"Sending paused… {batch.sent:,} of {_plural(batch.invitations, 'invitation')} sent"
    return f"Sending {_plural(batch.invitations, 'invitation')}… {batch.sent:,} sent"


def _shows_progress(batch: BatchSummary) -> bool:
    return batch.state in (BatchState.SENDING, BatchState.WAITING, BatchState.DONE)


def batch_card(batch: BatchSummary) -> list[Block]:
    """The progress message of a batch, updated in place as mail goes out."""
    licences = _plural(batch.additional_licences, "more licensed user")
    blocks: list[Block] = [
        HeaderBlock(text=plain("Enrollment invitations", 150)),
        SectionBlock(text=mrkdwn(f"*{batch_headline(batch)}*")),
    ]
    if _shows_progress(batch):
        blocks.append(SectionBlock(text=mrkdwn(progress_text(batch))))
    blocks += [
        SectionBlock(
            fields=[
                mrkdwn(f"*People*\n{batch.invitees:,}, {_plural(batch.devices_per_person, 'device')} each"),
                mrkdwn(f"*Platform*\n{batch.platform.label}"),
                mrkdwn(f"*Expires*\n{slack_date(batch.expires_at)} ({_plural(batch.days, 'day')})"),
                mrkdwn(f"*Licences*\nup to {licences} if all enroll"),
            ]
        ),
    ]
    if batch.state is BatchState.WAITING and batch.problem:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f":warning: *Mail is not going out:* {escape(batch.problem)}\nNothing is lost: the invitations wait. "
                    "Fix the setting, then press *Retry*."
                )
            )
        )
    if batch.failures:
        lines = "\n".join(f"• {escape(reason)} ({count:,})" for reason, count in batch.failures)
        blocks.append(SectionBlock(text=mrkdwn(f"*Failed*\n{lines}"[:3000])))
    if batch.state is BatchState.WAITING or (batch.failed and batch.state is BatchState.DONE):
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=plain("Retry", 75),
                        action_id=ActionId.RETRY_BATCH,
                        style="primary",
                        value=BatchRef(batch_id=batch.id).model_dump_json(),
                    )
                ]
            )
        )
    blocks.append(
        ContextBlock(
            elements=[mrkdwn(f"Sent by {mention(batch.created_by)} on {slack_date(batch.created_at)}")]
        )
    )
    return blocks


def batch_card_text(batch: BatchSummary) -> str:
    """What notifications show: the headline, the bar and the counts, any pause and the finish."""
    text = f"Enrollment invitations: {batch_headline(batch)}"
    if _shows_progress(batch):
        text += "\n" + progress_text(batch).replace("`", "")
    return text


def invitation_actions(item: InvitationItem) -> ActionsBlock | None:
    ref = InvitationRef(invitation_id=item.id).model_dump_json()
    buttons: list[ButtonElement] = []
    if item.can_resend:
        buttons.append(ButtonElement(text=plain("Resend", 75), action_id=ActionId.RESEND, value=ref))
    if item.can_extend:
        buttons.append(ButtonElement(text=plain("Extend", 75), action_id=ActionId.EXTEND, value=ref))
    if item.can_revoke:
        buttons.append(
            ButtonElement(
                text=plain("Revoke", 75),
                action_id=ActionId.REVOKE,
                value=ref,
                style="danger",
                confirm=ConfirmObject(
                    title=plain("Revoke this invitation?", 100),
                    text=mrkdwn(f"The link sent to {escape(item.email)} stops working."[:300]),
                    confirm=plain("Revoke", 30),
                    deny=plain("Keep it", 30),
                ),
            )
        )
    return ActionsBlock(elements=buttons) if buttons else None


def invitation_line(item: InvitationItem) -> str:
    when = (
        f"expires {slack_date(item.expires_at)}"
        if item.state not in (InvitationState.ENROLLED, InvitationState.REVOKED)
        else f"sent {slack_date(item.created_at)}"
    )
    failure = f" — {escape(item.failure)}" if item.failure else ""
    return (
        f"{STATE_EMOJI[item.state]} *{escape(item.display_name)}* · {escape(item.email)} · "
        f"{item.platform.label} · {item.state.label} · {when}{failure}"
    )


def another_device_button(invitation_id: int, request_key: str) -> ButtonElement:
    """Invite another device: one more invitation (one device) to the person; `request_key` makes
    repeated clicks of this button send it once."""
    return ButtonElement(
        text=plain("Invite another device", 75),
        action_id=ActionId.ANOTHER_DEVICE,
        value=AnotherDeviceRef(invitation_id=invitation_id, request_key=request_key).model_dump_json(),
    )


def another_device_text(sent: AnotherInvitation) -> str:
    who = f"{sent.display_name} ({sent.email})"
    if not sent.created:
        return (
            f"This button already sent {who} another invitation; nothing new was sent. "
            "For one more, use *Invite another device* in a new `/enroll status`."
        )
    return (
        f"Another invitation is on its way to {who}: its link enrolls one more {sent.platform.device_label} "
        f"device until {slack_date(sent.expires_at)}."
    )


def person_figures(person: PersonItem) -> str:
    return (
        f"{_plural(person.devices, 'device')} enrolled · {_plural(person.open_invitations, 'invitation')} open · "
        f"{_plural(person.licences, 'licence')} used"
    )


def person_blocks(people: list[PersonItem], *, request_nonce: str) -> list[Block]:
    return [
        SectionBlock(
            text=mrkdwn(
                f"*{escape(person.display_name)}* · {escape(person.email)}\n{person_figures(person)}"[:3000]
            ),
            accessory=another_device_button(
                person.latest_invitation_id, f"{request_nonce}:{person.latest_invitation_id}"
            ),
        )
        for person in people
    ]


def status_message(status: StatusSummary, *, request_nonce: str) -> list[Block]:
    """`request_nonce` is new for every /enroll status answer: its Invite another device buttons
    each send one invitation, however often they are clicked."""
    title = f"Enrollment status: {status.email}" if status.email else "Enrollment status"
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    if status.email:
        devices = (
            "\n".join(
                f"• {d.platform.label} device `{escape(d.device_id)}` enrolled {slack_date(d.enrolled_at)}"
                for d in status.devices
            )
            or "No device enrolled yet."
        )
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*Devices* ({status.device_total:,}, {_plural(status.licensed_users, 'licensed user')})\n{devices}"[
                        :3000
                    ]
                )
            )
        )
    else:
        blocks.append(
            SectionBlock(
                text=mrkdwn(
                    f"*Licences*: {_plural(status.device_total, 'device')} of {_plural(status.people, 'person')} enrolled "
                    f"= {_plural(status.licensed_users, 'licensed user')} ({status.devices_per_licence} devices each)"
                )
            )
        )
    if status.per_person:
        blocks.append(SectionBlock(text=mrkdwn("*People*")))
        blocks += person_blocks(status.per_person, request_nonce=request_nonce)
        blocks += _status_pager(status, "people", status.people_listed, len(status.per_person))
    blocks.append(DividerBlock())
    if not status.invitations:
        blocks.append(ContextBlock(elements=[mrkdwn("No invitations yet. Send some with `/enroll invite`.")]))
    for item in status.invitations:
        blocks.append(SectionBlock(text=mrkdwn(invitation_line(item))))
        actions = invitation_actions(item)
        if actions is not None:
            blocks.append(actions)
    blocks += _status_pager(status, "invitations", status.invitations_listed, len(status.invitations))
    return blocks


def _status_pager(status: StatusSummary, noun: str, listed: Listed, shown: int) -> list[Block]:
    """The pager of one of the two lists; the other list stays on its page."""
    here = StatusPageRef(
        email=status.email,
        people_offset=status.people_listed.offset,
        invitations_offset=status.invitations_listed.offset,
    )
    key = f"{noun}_offset"
    previous = here.model_copy(update={key: max(listed.offset - listed.size, 0)})
    following = here.model_copy(update={key: listed.offset + shown})
    return pager(
        noun=noun,
        offset=listed.offset,
        shown=shown,
        total=listed.total,
        action_id=f"{ActionId.STATUS_PAGE}.{noun}",
        previous_value=previous.model_dump_json(),
        next_value=following.model_dump_json(),
    )


def url_message(*, url: str, qr_url: str, server: str | None) -> list[Block]:
    """The basic enrollment URL (`<PUBLIC_URL>/enroll`) and its QR code. The URL works without
    ENROLLMENT_SERVER too (its page then tells people to ask for the server's name), so it is
    shown either way, with what is missing said below it."""
    filled = (
        f"with the server `{escape(server)}` filled in (or offers the app first)"
        if server
        else "(or offers the app first)"
    )
    blocks: list[Block] = [
        SectionBlock(
            text=mrkdwn(
                f"*Basic enrollment URL*\n<{url}>\nTapped on a phone or tablet it starts enrollment in Acronis Access "
                f"{filled}; opened on a computer it shows this QR code to scan with the device. Users then sign in "
                "with their company user name and password."
            )
        ),
        ImageBlock(
            image_url=qr_url, alt_text="QR code of the basic enrollment URL", title=plain("Scan to enroll")
        ),
    ]
    if not server:
        blocks.append(
            ContextBlock(
                elements=[
                    mrkdwn(
                        ":warning: The enrollment server is not configured yet: a deskops administrator sets "
                        "`ENROLLMENT_SERVER` to the Access Server's name. Until then the page asks people to get "
                        "the server's name from the helpdesk, and invitations cannot be sent."
                    )
                ]
            )
        )
    if not url.startswith("https://"):
        blocks.append(
            ContextBlock(
                elements=[
                    mrkdwn(
                        ":warning: `PUBLIC_URL` is not an https address: phones may refuse to open it, and Slack shows "
                        "the QR code only from a public https address. See `deskops doctor`."
                    )
                ]
            )
        )
    return blocks


HELP_TEXT = "\n".join(
    [
        "*Device enrollment invitations*",
        "`/enroll invite` — search the directory, pick people and groups, send invitations (opens *Enrollment Invitation*)",
        "`/enroll url` — the basic enrollment URL: tapped on a device it starts enrollment; with its QR code",
        "`/enroll status [email]` — per person devices enrolled, invitations open and licences used; invitations "
        "with Resend, Extend, Revoke and Invite another device",
        "`/enroll help` — this help",
    ]
)


def help_message() -> list[Block]:
    return [SectionBlock(text=mrkdwn(HELP_TEXT))]
