"""Modals of /enroll: Send Enrollment Invitation, the e-mail editor, and Extend."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    EmailInputElement,
    HeaderBlock,
    InputBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.metadata import (
    EditEmailMetadata,
    ExtendMetadata,
    InviteeRef,
    InviteMetadata,
    PageRef,
)
from blocks.enroll.search import Seal, results_blocks, search_blocks
from blocks.enroll.sending_settings import SendingValues, days_element, sending_blocks, sending_json
from blocks.text import escape, mrkdwn, plain
from bot.customers.service import CustomerLanguages
from bot.enrollment.fields import Field
from bot.enrollment.summary import DraftSummary, InviteeItem
from bot.integrations.directory.port import MatchMode

NO_EMAIL = "No email address assigned - click here to edit"
SERVER_MISSING_NOTICE = (
    ":warning: *Invitations cannot be sent yet*: a deskops administrator must set `ENROLLMENT_SERVER` "
    "to the Access Server's name (see `deskops doctor`)."
)


def _invitee_blocks(person: InviteeItem) -> list[Block]:
    remove = ButtonElement(
        text=plain("Remove", 75),
        action_id=ActionId.REMOVE,
        value=InviteeRef(invitee_id=person.id).model_dump_json(),
    )
    source = f" · from {escape(person.source)}" if person.source else ""
    if person.email:
        return [
            SectionBlock(
                text=mrkdwn(f"*{escape(person.display_name)}* · {escape(person.email)}{source}"),
                accessory=remove,
            )
        ]
    return [
        SectionBlock(text=mrkdwn(f"*{escape(person.display_name)}*{source}")),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=plain(NO_EMAIL, 75),
                    action_id=ActionId.EDIT_EMAIL,
                    value=InviteeRef(invitee_id=person.id).model_dump_json(),
                ),
                remove,
            ]
        ),
    ]


def _list_blocks(draft: DraftSummary) -> list[Block]:
    missing = f" · {draft.without_email:,} without e-mail" if draft.without_email else ""
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(block_id=Field.INVITEES, text=mrkdwn(f"*Users to invite* ({draft.total:,}{missing})")),
    ]
    if draft.notice:
        blocks.append(ContextBlock(elements=[mrkdwn(escape(draft.notice))]))
    if draft.total == 0:
        blocks.append(
            ContextBlock(elements=[mrkdwn("Nobody yet: search, then *Add* people or whole groups.")])
        )
        return blocks
    for person in draft.invitees:
        blocks += _invitee_blocks(person)
    last = draft.offset + len(draft.invitees)
    blocks.append(
        ContextBlock(elements=[mrkdwn(f"Showing {draft.offset + 1:,} to {last:,} of {draft.total:,}")])
    )
    pager: list[ButtonElement] = []
    if draft.offset > 0:
        previous = max(draft.offset - draft.page_size, 0)
        pager.append(
            ButtonElement(
                text=plain("Previous", 75),
                action_id=f"{ActionId.PAGE}.previous",
                value=PageRef(offset=previous).model_dump_json(),
            )
        )
    if draft.has_more:
        pager.append(
            ButtonElement(
                text=plain("Next", 75),
                action_id=f"{ActionId.PAGE}.next",
                value=PageRef(offset=last).model_dump_json(),
            )
        )
    pager.append(
        ButtonElement(
            text=plain("Remove all", 75), action_id=ActionId.REMOVE_ALL, style="danger", value="all"
        )
    )
    blocks.append(ActionsBlock(elements=pager))
    return blocks


def invite_modal(
    draft: DraftSummary,
    *,
    metadata: InviteMetadata,
    default_days: int,
    languages: CustomerLanguages | None = None,
    seal: Seal | None = None,
    server_configured: bool = True,
) -> View:
    """`seal`: for the results' Add buttons (blocks/enroll/search.py). Without the Access Server's
    name (ENROLLMENT_SERVER) the list can be built but not sent: the modal says so from the start."""
    blocks: list[Block] = [
        *_head_blocks(draft.search.mode, server_configured),
        *results_blocks(draft, draft_id=metadata.draft_id, seal=seal),
        *_list_blocks(draft),
        *sending_blocks(SendingValues.of(draft, default_days, languages)),
    ]
    return _invite_view(metadata, blocks)


def invite_view(
    draft: DraftSummary,
    *,
    metadata: InviteMetadata,
    default_days: int,
    languages: CustomerLanguages | None = None,
    seal: Seal | None = None,
    server_configured: bool = True,
) -> dict[str, Any]:
    """`invite_modal(…).to_dict()`, as the form is shown after every change (a search, an Add, a
    digit typed into Devices per person). The search box above the results, and the sending
    settings and languages below the list, change rarely: they are turned into JSON once per the
    values they show (they were a third of slack_sdk's work on each update). The results and the
    list are checked and turned into JSON by slack_sdk as always."""
    view = _invite_view(
        metadata,
        [*results_blocks(draft, draft_id=metadata.draft_id, seal=seal), *_list_blocks(draft)],
    ).to_dict()
    head = json.loads(_head_json(draft.search.mode, server_configured))
    tail = json.loads(sending_json(SendingValues.of(draft, default_days, languages)))
    view["blocks"] = [*head, *view["blocks"], *tail]
    return view


def _invite_view(metadata: InviteMetadata, blocks: list[Block]) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.INVITE,
        title=plain("Enrollment Invitation", 24),
        submit=plain("Send", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


def _head_blocks(mode: MatchMode, server_configured: bool) -> list[Block]:
    return [
        HeaderBlock(block_id=BlockId.HEADER, text=plain("Send Enrollment Invitation", 150)),
        *([] if server_configured else [ContextBlock(elements=[mrkdwn(SERVER_MISSING_NOTICE)])]),
        *search_blocks(mode),
    ]


# Strings, so that each view gets blocks of its own to change.
@lru_cache(maxsize=8)
def _head_json(mode: MatchMode, server_configured: bool) -> str:
    return json.dumps([block.to_dict() for block in _head_blocks(mode, server_configured)])


def edit_email_modal(*, person: InviteeItem, metadata: EditEmailMetadata) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.EDIT_EMAIL,
        title=plain("Email address", 24),
        submit=plain("Save", 24),
        close=plain("Back", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=[
            SectionBlock(
                text=mrkdwn(f"*{escape(person.display_name)}* has no e-mail address in the directory.")
            ),
            InputBlock(
                block_id=Field.EMAIL,
                label=plain("Email"),
                element=EmailInputElement(action_id=ActionId.EMAIL, placeholder=plain("name@company.com")),
            ),
        ],
    )


def extend_modal(*, who: str, days: int, metadata: ExtendMetadata) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.EXTEND,
        title=plain("Extend invitation", 24),
        submit=plain("Extend", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=[
            SectionBlock(text=mrkdwn(f"Extend the invitation of *{escape(who)}*.")),
            InputBlock(
                block_id=Field.DAYS,
                label=plain("More days"),
                element=days_element(days),
            ),
        ],
    )
