"""Send Enrollment Invitation: searching the directory, building the list, sending.

Each listener turns the payload into a command for bot/enrollment/invite_form.py (or
group_members.py, sending.py) and shows the form it answers with."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.views import View

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.metadata import DirectoryRef, EditEmailMetadata, InviteeRef, InviteMetadata, PageRef
from blocks.enroll.modals import edit_email_modal, invite_modal
from bot.deps import Deps
from bot.enrollment import invite_form
from bot.enrollment.fields import Field
from bot.enrollment.group_members import AddGroup, add_group
from bot.enrollment.invite_form import AddPerson, FormRef, FormSettings, InviteForm, Remove, SaveEmail, Search
from bot.enrollment.models import PlatformChoice
from bot.enrollment.sending import CheckedInvitations, SendInvitations, check_invitations, send_invitations
from bot.errors import InvalidState
from bot.integrations.directory.port import MatchMode
from bot.slack.acks import claim_in_listener
from commands.access import require_helpdesk
from commands.errors import answers_errors, report
from commands.state import ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)


def _settings(deps: Deps) -> FormSettings:
    return FormSettings(
        default_language=deps.settings.language, devices_per_licence=deps.settings.devices_per_licence
    )


def _modal(deps: Deps, form: InviteForm) -> View:
    # The page may have shrunk (people removed): the metadata names the one shown.
    metadata = InviteMetadata(draft_id=form.draft_id, offset=form.summary.offset)
    return invite_modal(
        form.summary,
        metadata=metadata,
        default_days=deps.settings.invitation_days_default,
        languages=form.languages,
    )


def _show(deps: Deps, client: WebClient, view_id: str, form: InviteForm) -> None:
    # No hash: this always renders the whole current state, so the newest update should win.
    client.views_update(view_id=view_id, view=_modal(deps, form))


def open_invite(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, user_id: str
) -> None:
    if not deps.settings.enrollment_server:
        raise InvalidState(
            "Invitations need the Access Server's name: a deskops administrator sets "
            "ENROLLMENT_SERVER (see `deskops doctor`)."
        )
    form = invite_form.start_form(
        deps.db, owner=user_id, channel_id=channel_id, now=deps.clock.now(), settings=_settings(deps)
    )
    client.views_open(trigger_id=trigger_id, view=_modal(deps, form))


def _form(body: dict[str, Any]) -> tuple[str, FormRef]:
    """The view acted on, and the form it shows."""
    view = body["view"]
    metadata = carried(InviteMetadata, view.get("private_metadata"))
    return view["id"], FormRef(metadata.draft_id, str(body["user"]["id"]), metadata.offset)


def _value(body: dict[str, Any]) -> str | None:
    value = body["actions"][0].get("value")
    return str(value) if value is not None else None


@answers_errors
def search(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    # The retry check is made by the write that records the results: one commit, not two.
    pending = claim_in_listener(ack)
    ack()
    view_id, form = _form(body)
    state = ViewState(body["view"])
    mode = MatchMode(state.selected(BlockId.MATCH_MODE) or MatchMode.BEGINS_WITH)
    command = Search(form, state.text(BlockId.SEARCH) or "", mode)
    with pending.settled():
        found = invite_form.search_directory(
            deps.db, deps.directory, command, now=deps.clock.now(), settings=_settings(deps), once=pending.key
        )
    _show(deps, client, view_id, found)


@answers_errors
def add_user(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    command = AddPerson(form, carried(DirectoryRef, _value(body)).id)
    _show(
        deps,
        client,
        view_id,
        invite_form.add_person(deps.db, command, now=deps.clock.now(), settings=_settings(deps)),
    )


@answers_errors
def add_members(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    command = AddGroup(form, carried(DirectoryRef, _value(body)).id)
    done = add_group(
        deps.db,
        deps.directory,
        command,
        now=deps.clock.now(),
        settings=_settings(deps),
        show=lambda adding: _show(deps, client, view_id, adding),
    )
    _show(deps, client, view_id, done)


@answers_errors
def remove(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    if body["actions"][0]["action_id"] == ActionId.REMOVE_ALL:
        command = Remove(form, None)
    else:
        command = Remove(form, carried(InviteeRef, _value(body)).invitee_id)
    _show(
        deps,
        client,
        view_id,
        invite_form.remove(deps.db, command, now=deps.clock.now(), settings=_settings(deps)),
    )


@answers_errors
def page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    offset = max(carried(PageRef, _value(body)).offset, 0)
    shown = invite_form.show_form(
        deps.db, FormRef(form.draft_id, form.owner, offset), settings=_settings(deps)
    )
    _show(deps, client, view_id, shown)


@answers_errors
def platform_changed(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    view_id, form = _form(body)
    choice = PlatformChoice(ViewState(body["view"]).selected(Field.PLATFORM) or PlatformChoice.BOTH)
    _show(deps, client, view_id, invite_form.choose_platform(deps.db, form, choice, settings=_settings(deps)))


@answers_errors
def devices_changed(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Typed into Devices per person: the forecast follows."""
    ack()
    view_id, form = _form(body)
    typed = ViewState(body["view"]).text(Field.DEVICES)
    changed = invite_form.choose_devices(deps.db, form, typed, settings=_settings(deps))
    if changed is not None:
        _show(deps, client, view_id, changed)


@answers_errors
def edit_email(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    invitee_id = carried(InviteeRef, _value(body)).invitee_id
    person = invite_form.invitee_to_edit(deps.db, form, invitee_id)
    child = EditEmailMetadata(draft_id=form.draft_id, invitee_id=invitee_id, parent_view_id=view_id)
    client.views_push(trigger_id=body["trigger_id"], view=edit_email_modal(person=person, metadata=child))


def submit_email(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps) -> None:
    metadata = carried(EditEmailMetadata, view.get("private_metadata"))
    form = FormRef(metadata.draft_id, str(body["user"]["id"]))
    command = SaveEmail(form, metadata.invitee_id, ViewState(view).text(Field.EMAIL) or "")
    saved: list[InviteForm] = []

    def run() -> None:
        saved.append(invite_form.save_email(deps.db, command, now=deps.clock.now(), settings=_settings(deps)))

    answer_submission(ack, view, run)  # an empty ack closes this view and shows the invitation again
    if saved:
        _show(deps, client, metadata.parent_view_id, saved[0])


def submit_invite(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Checked before the ack (errors stay in the modal); the batch itself is created after it."""
    metadata = carried(InviteMetadata, view.get("private_metadata"))
    state = ViewState(view)
    command = SendInvitations(
        form=FormRef(metadata.draft_id, str(body["user"]["id"])),
        days=state.text(Field.DAYS),
        devices=state.text(Field.DEVICES),
        platform=state.selected(Field.PLATFORM),
        language=state.selected(Field.LANGUAGE),
    )
    checked: list[CheckedInvitations] = []

    def run() -> dict[str, Any]:
        checked.append(check_invitations(deps.db, command, default_language=deps.settings.language))
        return {"response_action": "clear"}

    answer_submission(ack, view, run)
    if not checked:
        return
    try:
        send_invitations(
            deps.db, checked[0], settings=deps.settings, tokens=deps.tokens, now=deps.clock.now()
        )
    except Exception as error:
        report(error, body=body, context=context, client=client)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.SEARCH, middleware=helpdesk)(search)
    app.action(ActionId.SEARCH_TEXT, middleware=helpdesk)(search)
    app.action(ActionId.ADD_USER, middleware=helpdesk)(add_user)
    app.action(ActionId.ADD_GROUP, middleware=helpdesk)(add_members)
    app.action(ActionId.REMOVE, middleware=helpdesk)(remove)
    app.action(ActionId.REMOVE_ALL, middleware=helpdesk)(remove)
    app.action(re.compile(rf"^{re.escape(ActionId.PAGE)}\."), middleware=helpdesk)(page)
    app.action(ActionId.PLATFORM, middleware=helpdesk)(platform_changed)
    app.action(ActionId.DEVICES, middleware=helpdesk)(devices_changed)
    app.action(ActionId.EDIT_EMAIL, middleware=helpdesk)(edit_email)
    app.view(CallbackId.EDIT_EMAIL, middleware=helpdesk)(submit_email)
    app.view(CallbackId.INVITE, middleware=helpdesk)(submit_invite)
