"""Send Enrollment Invitation: searching the directory, building the list, sending.

Each listener turns the payload into a command for bot/enrollment/invite_form.py (or
group_members.py, sending.py) and shows the form it answers with."""

from __future__ import annotations

import logging
import re
import time
from functools import partial
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.metadata import (
    DirectoryRef,
    EditEmailMetadata,
    FoundGroupRef,
    FoundPersonRef,
    InviteeRef,
    InviteMetadata,
    PageRef,
)
from blocks.enroll.modals import edit_email_modal, invite_view
from bot.deps import Deps
from bot.enrollment import invite_form, invite_search
from bot.enrollment.drafts import FoundGroup, FoundUser
from bot.enrollment.fields import Field
from bot.enrollment.group_members import AddGroup, add_group
from bot.enrollment.invite_form import AddPerson, FormRef, FormSettings, InviteForm, Remove, SaveEmail
from bot.enrollment.invite_search import Search
from bot.enrollment.models import PlatformChoice
from bot.enrollment.sending import CheckedInvitations, SendInvitations, check_invitations, send_invitations
from bot.integrations.directory.port import MatchMode
from bot.slack.acks import claim_in_listener
from bot.slack.sealing import MetadataSeal
from commands.access import require_helpdesk
from commands.errors import answers_errors, report
from commands.state import BadPayload, ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)
M = TypeVar("M", FoundPersonRef, FoundGroupRef)
RESULTS_SEAL = "invite-search-result"
_ACTION_TS = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,9}))?")


def _settings(deps: Deps) -> FormSettings:
    return FormSettings(
        default_language=deps.settings.language, devices_per_licence=deps.settings.devices_per_licence
    )


def _results_seal(deps: Deps) -> MetadataSeal:
    """Seals what the results' Add buttons carry: Add takes the person from the button."""
    return MetadataSeal(deps.tokens, purpose=RESULTS_SEAL)


def _modal(deps: Deps, form: InviteForm) -> dict[str, Any]:
    # The page may have shrunk (people removed): the metadata names the one shown.
    metadata = InviteMetadata(draft_id=form.draft_id, offset=form.summary.offset)
    return invite_view(
        form.summary,
        metadata=metadata,
        default_days=deps.settings.invitation_days_default,
        languages=form.languages,
        seal=_results_seal(deps).seal,
        server_configured=bool(deps.settings.enrollment_server),
    )


def _show(deps: Deps, client: WebClient, view_id: str, form: InviteForm) -> None:
    # No hash: this always renders the whole current state, so the newest update should win.
    client.views_update(view_id=view_id, view=_modal(deps, form))


def open_invite(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, user_id: str
) -> None:
    form = invite_form.start_form(
        deps.db, owner=user_id, channel_id=channel_id, now=deps.clock.now(), settings=_settings(deps)
    )
    client.views_open(trigger_id=trigger_id, view=_modal(deps, form))


def _form(body: dict[str, Any], *, settle: bool = True) -> tuple[str, FormRef]:
    """The view acted on, and the form it shows; `settle`: once the results it shows are kept
    with the draft (the form is shown again from there)."""
    view = body["view"]
    metadata = carried(InviteMetadata, view.get("private_metadata"))
    if settle:
        invite_search.settled(metadata.draft_id)
    return view["id"], FormRef(metadata.draft_id, str(body["user"]["id"]), metadata.offset)


def _value(body: dict[str, Any]) -> str | None:
    value = body["actions"][0].get("value")
    return str(value) if value is not None else None


def _pressed_at(body: dict[str, Any]) -> int:
    """When the action was taken, in microseconds since the epoch (Slack's `action_ts`, e.g.
    "1701612345.123456"; this server's clock if it has none)."""
    stamp = _ACTION_TS.fullmatch(str(body["actions"][0].get("action_ts") or ""))
    if stamp is None:
        return time.time_ns() // 1000
    return int(stamp[1]) * 1_000_000 + int(((stamp[2] or "") + "000000")[:6])


def _found(deps: Deps, form: FormRef, body: dict[str, Any], model: type[M]) -> M | DirectoryRef:
    """What an Add button carries: the result as shown (sealed), or only its id."""
    value = _value(body)
    opened = _results_seal(deps).unseal(value or "")
    if opened is None:
        return carried(DirectoryRef, value)
    found = carried(model, opened)
    if found.draft_id != form.draft_id:
        raise BadPayload("This form or button is out of date; please start again.")
    return found


@answers_errors
def search(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    # The retry check is made with the form's read, while the directory answers.
    pending = claim_in_listener(ack)
    ack()
    view_id, form = _form(body, settle=False)
    state = ViewState(body["view"])
    mode = MatchMode(state.selected(BlockId.MATCH_MODE) or MatchMode.BEGINS_WITH)
    command = Search(form, state.text(BlockId.SEARCH) or "", mode, at=_pressed_at(body))
    with pending.settled():
        found = invite_search.find(
            deps.db, deps.directory, command, now=deps.clock.now(), settings=_settings(deps), once=pending.key
        )
    invite_search.show_and_keep(
        deps.db, found, now=deps.clock.now(), show=partial(_show, deps, client, view_id)
    )


@answers_errors
def add_user(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view_id, form = _form(body)
    found = _found(deps, form, body, FoundPersonRef)
    if isinstance(found, FoundPersonRef):
        person = FoundUser(found.id, found.display_name, found.account_name, found.email)
        command = AddPerson(form, found.id, person)
    else:
        command = AddPerson(form, found.id)
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
    found = _found(deps, form, body, FoundGroupRef)
    group = FoundGroup(found.id, found.name, None, None) if isinstance(found, FoundGroupRef) else None
    command = AddGroup(form, found.id, group)
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
    invite_search.settled(metadata.draft_id)
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
        checked.append(
            check_invitations(
                deps.db,
                command,
                default_language=deps.settings.language,
                enrollment_server=deps.settings.enrollment_server,
            )
        )
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
