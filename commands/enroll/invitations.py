"""Resend, Extend, Revoke and Invite another device on invitations (from /enroll status, reminders, App Home), and
Retry on a batch's progress card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.enroll.ids import ActionId, CallbackId
from blocks.enroll.messages import another_device_text
from blocks.enroll.metadata import AnotherDeviceRef, BatchRef, ExtendMetadata, InvitationRef
from blocks.enroll.modals import extend_modal
from blocks.text import slack_date
from bot.deps import Deps
from bot.enrollment import invitation_actions as actions
from bot.enrollment.another_device import invite_another_device
from bot.enrollment.fields import Field
from bot.enrollment.invitation_actions import Extend, InvitationAction
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.replies import tell_person
from commands.state import ViewState, carried
from commands.submissions import answer_submission


def _action(body: dict[str, Any], context: BoltContext) -> InvitationAction:
    ref = carried(InvitationRef, body["actions"][0].get("value"))
    return InvitationAction(ref.invitation_id, str(context.user_id))


@answers_errors
def resend(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    invitation = actions.resend(deps.db, _action(body, context), now=deps.clock.now(), tokens=deps.tokens)
    text = (
        f"A new {invitation.platform.label} invitation is on its way to {invitation.email}; "
        "the link in the earlier e-mail no longer works."
    )
    tell_person(text, body=body, context=context, client=client, deps=deps)


@answers_errors
def revoke(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    invitation = actions.revoke(deps.db, _action(body, context), now=deps.clock.now())
    text = (
        f"Revoked the {invitation.platform.label} invitation of {invitation.email}: its link no longer works."
    )
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
    action = _action(body, context)
    form = actions.extension_form(deps.db, action.invitation_id)
    metadata = ExtendMetadata(invitation_id=action.invitation_id, channel_id=context.channel_id)
    client.views_open(
        trigger_id=body["trigger_id"], view=extend_modal(who=form.who, days=form.days, metadata=metadata)
    )


def submit_extend(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    metadata = carried(ExtendMetadata, view.get("private_metadata"))
    user = str(body["user"]["id"])
    command = Extend(
        invitation_id=metadata.invitation_id,
        actor=user,
        days=ViewState(view).text(Field.DAYS),
        change_key=f"{view.get('id')}:{view.get('hash')}" if view.get("id") else None,
    )
    done: list[str] = []

    def run() -> dict[str, Any]:
        invitation = actions.extend(deps.db, command, now=deps.clock.now())
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
    actions.retry_sending(deps.db, batch_id=batch_id, actor=str(context.user_id), now=deps.clock.now())
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
