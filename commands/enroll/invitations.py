"""Resend, Extend, Revoke and Invite another device on invitations (from /enroll status, reminders, App Home), and
Retry on a batch's progress card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.messages import another_device_text
from blocks.enroll.metadata import AnotherDeviceRef, BatchRef, ExtendMetadata, InvitationRef
from blocks.enroll.modals import extend_modal
from blocks.text import slack_date
from bot.deps import Deps
from bot.enrollment.another_device import invite_another_device
from bot.enrollment.batches import check_days, retry_batch
from bot.enrollment.invitations import extend_invitation, get_invitation, resend_invitation, revoke_invitation
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def _ref(body: dict[str, Any]) -> InvitationRef:
    return carried(InvitationRef, body["actions"][0].get("value"))


@answers_errors
def resend(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    with deps.db.transaction() as session:
        invitation = resend_invitation(
            session,
            invitation_id=_ref(body).invitation_id,
            actor=str(context.user_id),
            now=deps.clock.now(),
            tokens=deps.tokens,
        )
        text = (
            f"A new {invitation.platform.label} invitation is on its way to {invitation.email}; "
            "the link in the earlier e-mail no longer works."
        )
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def revoke(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    with deps.db.transaction() as session:
        invitation = revoke_invitation(
            session, invitation_id=_ref(body).invitation_id, actor=str(context.user_id), now=deps.clock.now()
        )
        text = f"Revoked the {invitation.platform.label} invitation of {invitation.email}: its link no longer works."
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def another_device(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    ref = carried(AnotherDeviceRef, body["actions"][0].get("value"))
    sent = invite_another_device(
        deps.db,
        invitation_id=ref.invitation_id,
        request_key=ref.request_key,
        actor=str(context.user_id),
        now=deps.clock.now(),
        tokens=deps.tokens,
    )
    tell_person(another_device_text(sent), body=body, context=context, client=client, deps=deps)


@answers_errors
def extend(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    ref = _ref(body)
    with deps.db.read() as session:
        invitation = get_invitation(session, ref.invitation_id)
        who, days = f"{invitation.display_name} ({invitation.platform.label})", invitation.batch.days
    metadata = ExtendMetadata(invitation_id=ref.invitation_id, channel_id=context.channel_id)
    client.views_open(trigger_id=body["trigger_id"], view=extend_modal(who=who, days=days, metadata=metadata))


def submit_extend(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    metadata = carried(ExtendMetadata, view.get("private_metadata"))
    user = str(body["user"]["id"])
    done: list[str] = []

    def run() -> dict[str, Any]:
        days = check_days(ViewState(view).text(BlockId.DAYS))
        with deps.db.transaction() as session:
            invitation = extend_invitation(
                session,
                invitation_id=metadata.invitation_id,
                days=days,
                actor=user,
                now=deps.clock.now(),
                change_key=f"{view.get('id')}:{view.get('hash')}" if view.get("id") else None,
            )
            done.append(
                f"The invitation of {invitation.email} ({invitation.platform.label}) now works until "
                f"{slack_date(invitation.expires_at)}."
            )
        return {"response_action": "clear"}

    answer_submission(ack, view, run)
    if done:
        if metadata.channel_id:
            client.chat_postEphemeral(channel=metadata.channel_id, user=user, text=done[0])
        else:
            client.chat_postMessage(channel=user, text=done[0])


@answers_errors
def retry(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    batch_id = carried(BatchRef, body["actions"][0].get("value")).batch_id
    with deps.db.transaction() as session:
        retry_batch(session, batch_id=batch_id, actor=str(context.user_id), now=deps.clock.now())
    tell_person(
        "Trying again to send the invitations that are waiting or failed.",
        body=body,
        context=context,
        client=client,
        deps=deps,
    )


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.RESEND, middleware=helpdesk)(resend)
    app.action(ActionId.REVOKE, middleware=helpdesk)(revoke)
    app.action(ActionId.EXTEND, middleware=helpdesk)(extend)
    app.action(ActionId.ANOTHER_DEVICE, middleware=helpdesk)(another_device)
    app.view(CallbackId.EXTEND, middleware=helpdesk)(submit_extend)
    app.action(ActionId.RETRY_BATCH, middleware=helpdesk)(retry)
