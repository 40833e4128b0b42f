"""Send Enrollment Invitation: searching the directory, building the list, sending."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.metadata import DirectoryRef, EditEmailMetadata, InviteeRef, InviteMetadata, PageRef
from blocks.enroll.modals import edit_email_modal, invite_modal
from bot.deps import Deps
from bot.enrollment import drafts, invite_form
from bot.enrollment.approvals import send_or_request_approval
from bot.enrollment.batches import check_days, check_devices, check_language, check_ready
from bot.enrollment.invite_form import FormOptions, InviteForm, SearchQuery, current_form
from bot.enrollment.models import PlatformChoice
from bot.enrollment.summary import invitee_item
from bot.errors import FieldErrors, InvalidState
from bot.integrations.directory.port import DirectoryError, DirectoryUser, MatchMode
from commands.access import require_helpdesk
from commands.errors import answers_errors, report
from commands.state import ViewState, carried
from commands.submissions import answer_submission

log = logging.getLogger(__name__)
PAGE_SIZE = 20
RESULTS = 8


def _options(deps: Deps) -> FormOptions:
    return FormOptions(
        page_size=PAGE_SIZE,
        devices_per_licence=deps.settings.devices_per_licence,
        language=deps.settings.language,
    )


def _modal(deps: Deps, form: InviteForm, draft_id: str) -> Any:
    # The page may have shrunk (people removed): show the one that exists.
    metadata = InviteMetadata(draft_id=draft_id, offset=form.summary.offset)
    return invite_modal(
        form.summary,
        metadata=metadata,
        default_days=deps.settings.invitation_days_default,
        languages=form.languages,
    )


def _render(deps: Deps, metadata: InviteMetadata, owner: str) -> Any:
    form = current_form(deps.db, metadata.draft_id, owner, offset=metadata.offset, options=_options(deps))
    return _modal(deps, form, metadata.draft_id)


def _refresh(deps: Deps, client: WebClient, view_id: str, metadata: InviteMetadata, owner: str) -> None:
    # No hash: this always renders the whole current state, so the newest update should win.
    client.views_update(view_id=view_id, view=_render(deps, metadata, owner))


def _set_notice(deps: Deps, metadata: InviteMetadata, owner: str, notice: str | None) -> None:
    with deps.db.transaction() as session:
        draft = drafts.owned_draft(session, metadata.draft_id, owner)
        draft.notice = notice[:500] if notice else None


def open_invite(
    deps: Deps, client: WebClient, *, trigger_id: str, channel_id: str | None, user_id: str
) -> None:
    if not deps.settings.enrollment_server:
        raise InvalidState(
            "Invitations need the Access Server's name: a deskops administrator sets "
            "ENROLLMENT_SERVER (see `deskops doctor`)."
        )
    with deps.db.transaction() as session:
        draft = drafts.start_draft(session, owner=user_id, channel_id=channel_id, now=deps.clock.now())
        draft_id = draft.id
    client.views_open(trigger_id=trigger_id, view=_render(deps, InviteMetadata(draft_id=draft_id), user_id))


def _context(body: dict[str, Any]) -> tuple[dict[str, Any], InviteMetadata, str]:
    view = body["view"]
    return view, carried(InviteMetadata, view.get("private_metadata")), str(body["user"]["id"])


@answers_errors
def search(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view, metadata, owner = _context(body)
    state = ViewState(view)
    text = (state.text(BlockId.SEARCH) or "").strip()
    mode = MatchMode(state.selected(BlockId.MATCH_MODE) or MatchMode.BEGINS_WITH)
    form = invite_form.search(
        deps.db,
        deps.directory,
        metadata.draft_id,
        owner,
        query=SearchQuery(text, mode, RESULTS),
        now=deps.clock.now(),
        offset=metadata.offset,
        options=_options(deps),
    )
    client.views_update(view_id=view["id"], view=_modal(deps, form, metadata.draft_id))


@answers_errors
def add_user(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view, metadata, owner = _context(body)
    ref = carried(DirectoryRef, body["actions"][0].get("value"))
    with deps.db.transaction() as session:
        draft = drafts.owned_draft(session, metadata.draft_id, owner)
        found = drafts.found_user(draft, ref.id)
        person = DirectoryUser(
            id=found.id,
            account_name=found.account_name,
            display_name=found.display_name,
            first_name=None,
            last_name=None,
            email=found.email,
        )
        added = drafts.add_invitees(session, draft, [person], source=None, now=deps.clock.now())
        draft.notice = (
            f"Added {found.display_name}." if added.added else f"{found.display_name} is already on the list."
        )
    _refresh(deps, client, view["id"], metadata, owner)


@answers_errors
def add_group(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    """A group's members are read page by page and added in chunks, each its own transaction,
    so a 10,000-member group never holds the database for long."""
    ack()
    view, metadata, owner = _context(body)
    ref = carried(DirectoryRef, body["actions"][0].get("value"))
    with deps.db.read() as session:
        group = drafts.found_group(drafts.owned_draft(session, metadata.draft_id, owner), ref.id)
    _set_notice(deps, metadata, owner, f"Adding the members of {group.name}…")
    _refresh(deps, client, view["id"], metadata, owner)
    added = already = 0
    try:
        for chunk in drafts.chunked(deps.directory.expand_group(group.id), drafts.CHUNK):
            with deps.db.transaction() as session:
                draft = drafts.owned_draft(session, metadata.draft_id, owner)
                result = drafts.add_invitees(session, draft, chunk, source=group.name, now=deps.clock.now())
            added, already = added + result.added, already + result.already_listed
        notice = f"Added {added:,} members of {group.name}" + (
            f" ({already:,} were already on the list)." if already else "."
        )
    except DirectoryError as error:
        notice = f"Could not read all members of {group.name}: {error} ({added:,} added so far)."
    _set_notice(deps, metadata, owner, notice)
    _refresh(deps, client, view["id"], metadata, owner)


@answers_errors
def remove(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view, metadata, owner = _context(body)
    action = body["actions"][0]
    with deps.db.transaction() as session:
        draft = drafts.owned_draft(session, metadata.draft_id, owner)
        if action["action_id"] == ActionId.REMOVE_ALL:
            drafts.remove_all(session, draft, now=deps.clock.now())
            draft.notice, metadata = "Everyone was removed from the list.", InviteMetadata(draft_id=draft.id)
        else:
            person = drafts.invitee(session, draft, carried(InviteeRef, action.get("value")).invitee_id)
            draft.notice = f"Removed {person.display_name}."
            drafts.remove_invitee(session, draft, person.id, now=deps.clock.now())
    _refresh(deps, client, view["id"], metadata, owner)


@answers_errors
def page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view, metadata, owner = _context(body)
    offset = carried(PageRef, body["actions"][0].get("value")).offset
    _refresh(
        deps, client, view["id"], InviteMetadata(draft_id=metadata.draft_id, offset=max(offset, 0)), owner
    )


@answers_errors
def platform_changed(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    view, metadata, owner = _context(body)
    choice = PlatformChoice(ViewState(view).selected(BlockId.PLATFORM) or PlatformChoice.BOTH)
    with deps.db.transaction() as session:
        drafts.owned_draft(session, metadata.draft_id, owner).platform = choice
    _refresh(deps, client, view["id"], metadata, owner)


@answers_errors
def devices_changed(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Typed into Devices per person: the forecast follows (a number out of bounds is left for
    Send to refuse under the field)."""
    ack()
    view, metadata, owner = _context(body)
    try:
        devices = check_devices(ViewState(view).text(BlockId.DEVICES))
    except FieldErrors:
        return
    if drafts.set_devices_per_person(deps.db, metadata.draft_id, owner, devices):
        _refresh(deps, client, view["id"], metadata, owner)


@answers_errors
def edit_email(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    ack()
    view, metadata, owner = _context(body)
    invitee_id = carried(InviteeRef, body["actions"][0].get("value")).invitee_id
    with deps.db.read() as session:
        row = drafts.invitee(session, drafts.owned_draft(session, metadata.draft_id, owner), invitee_id)
        person = invitee_item(row)
    child = EditEmailMetadata(draft_id=metadata.draft_id, invitee_id=invitee_id, parent_view_id=view["id"])
    client.views_push(trigger_id=body["trigger_id"], view=edit_email_modal(person=person, metadata=child))


def submit_email(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps) -> None:
    metadata = carried(EditEmailMetadata, view.get("private_metadata"))
    owner = str(body["user"]["id"])
    saved: list[bool] = []

    def run() -> None:
        with deps.db.transaction() as session:
            draft = drafts.owned_draft(session, metadata.draft_id, owner)
            drafts.set_invitee_email(
                session,
                draft,
                metadata.invitee_id,
                ViewState(view).text(BlockId.EMAIL) or "",
                now=deps.clock.now(),
            )
            draft.notice = "E-mail address saved."
        saved.append(True)

    answer_submission(ack, view, run)  # an empty ack closes this view and shows the invitation again
    if saved:
        parent = InviteMetadata(draft_id=metadata.draft_id)
        _refresh(deps, client, metadata.parent_view_id, parent, owner)


def submit_invite(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Checked before the ack (errors stay in the modal); the batch itself is created after it,
    since thousands of invitations take longer than Slack waits for an answer."""
    metadata = carried(InviteMetadata, view.get("private_metadata"))
    owner = str(body["user"]["id"])
    state = ViewState(view)
    checked: list[tuple[int, int, PlatformChoice, str]] = []

    def run() -> dict[str, Any]:
        errors: dict[str, str] = {}
        days = devices = 0
        try:
            days = check_days(state.text(BlockId.DAYS))
        except FieldErrors as error:
            errors |= error.errors
        try:
            # An older form without the field: one device each.
            devices = check_devices(state.text(BlockId.DEVICES) or "1")
        except FieldErrors as error:
            errors |= error.errors
        if errors:
            raise FieldErrors(errors)
        platform = PlatformChoice(state.selected(BlockId.PLATFORM) or PlatformChoice.BOTH)
        language = check_language(state.selected(BlockId.LANGUAGE), default=deps.settings.language)
        with deps.db.read() as session:
            check_ready(session, drafts.owned_draft(session, metadata.draft_id, owner))
        checked.append((days, devices, platform, language))
        return {"response_action": "clear"}

    answer_submission(ack, view, run)
    if not checked:
        return
    days, devices, platform, language = checked[0]
    try:
        with deps.db.transaction() as session:
            draft = drafts.owned_draft(session, metadata.draft_id, owner)
            draft.language = language
            # Large batches wait for an approver (when approvals are on).
            send_or_request_approval(
                session,
                settings=deps.settings,
                draft=draft,
                days=days,
                platform=platform,
                actor=owner,
                now=deps.clock.now(),
                tokens=deps.tokens,
                devices_per_person=devices,
            )
    except Exception as error:
        report(error, body=body, context=context, client=client)


def register(app: App) -> None:
    helpdesk = [require_helpdesk]
    app.action(ActionId.SEARCH, middleware=helpdesk)(search)
    app.action(ActionId.SEARCH_TEXT, middleware=helpdesk)(search)
    app.action(ActionId.ADD_USER, middleware=helpdesk)(add_user)
    app.action(ActionId.ADD_GROUP, middleware=helpdesk)(add_group)
    app.action(ActionId.REMOVE, middleware=helpdesk)(remove)
    app.action(ActionId.REMOVE_ALL, middleware=helpdesk)(remove)
    app.action(re.compile(rf"^{re.escape(ActionId.PAGE)}\."), middleware=helpdesk)(page)
    app.action(ActionId.PLATFORM, middleware=helpdesk)(platform_changed)
    app.action(ActionId.DEVICES, middleware=helpdesk)(devices_changed)
    app.action(ActionId.EDIT_EMAIL, middleware=helpdesk)(edit_email)
    app.view(CallbackId.EDIT_EMAIL, middleware=helpdesk)(submit_email)
    app.view(CallbackId.INVITE, middleware=helpdesk)(submit_invite)
