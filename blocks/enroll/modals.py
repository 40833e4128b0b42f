"""Modals of /enroll: Send Enrollment Invitation, the e-mail editor, and Extend."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    EmailInputElement,
    HeaderBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View

from blocks.enroll.ids import ActionId, BlockId, CallbackId
from blocks.enroll.metadata import (
    DirectoryRef,
    EditEmailMetadata,
    ExtendMetadata,
    InviteeRef,
    InviteMetadata,
    PageRef,
)
from blocks.text import escape, mrkdwn, option, plain
from bot.customers.service import CustomerLanguages
from bot.enrollment.batches import DEVICES_MAX, DEVICES_MIN, LicenceForecast
from bot.enrollment.models import PlatformChoice
from bot.enrollment.summary import DraftSummary, InviteeItem
from bot.i18n.languages import SHIPPED_LANGUAGES, language_label
from bot.integrations.directory.port import MatchMode

NO_EMAIL = "No email address assigned - click here to edit"
MODE_LABELS = {MatchMode.BEGINS_WITH: "Begins with", MatchMode.CONTAINS: "Contains"}
MODE_DESCRIPTIONS = {
    MatchMode.BEGINS_WITH: "The default: a name, account name or e-mail starting with it; faster",
    MatchMode.CONTAINS: "Anywhere in a name, account name or e-mail",
}


def _mode_option(mode: MatchMode) -> Option:
    return Option(text=plain(MODE_LABELS[mode]), value=mode.value, description=plain(MODE_DESCRIPTIONS[mode]))


def _search_blocks(draft: DraftSummary) -> list[Block]:
    modes = [_mode_option(mode) for mode in MODE_LABELS]
    return [
        InputBlock(
            block_id=BlockId.SEARCH,
            label=plain("Search"),
            optional=True,
            dispatch_action=True,
            hint=plain("Directory users or groups, by name, account name or e-mail. Searches add up."),
            element=PlainTextInputElement(
                action_id=ActionId.SEARCH_TEXT,
                max_length=100,
                placeholder=plain("e.g. Jo, or Sales"),
                dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_enter_pressed"]),
            ),
        ),
        InputBlock(
            block_id=BlockId.MATCH_MODE,
            label=plain("Match"),
            optional=True,
            element=RadioButtonsElement(
                action_id=ActionId.MATCH_MODE,
                options=modes,
                initial_option=_mode_option(draft.search.mode),
            ),
        ),
        ActionsBlock(
            block_id=BlockId.SEARCH_ACTIONS,
            elements=[ButtonElement(text=plain("Search", 75), action_id=ActionId.SEARCH, style="primary")],
        ),
    ]


def _results_blocks(draft: DraftSummary) -> list[Block]:
    search = draft.search
    if not search.searched and not search.problem:
        return []
    mode = "begins with" if search.mode is MatchMode.BEGINS_WITH else "contains"
    blocks: list[Block] = [SectionBlock(text=mrkdwn(f"*Results* for “{escape(search.text)}” ({mode})"))]
    if search.problem:
        blocks.append(SectionBlock(text=mrkdwn(f":warning: {escape(search.problem)}")))
        return blocks
    for user in search.users:
        email = escape(user.email) if user.email else "_no e-mail address_"
        blocks.append(
            SectionBlock(
                text=mrkdwn(f"*{escape(user.display_name)}* · {escape(user.account_name)} · {email}"),
                accessory=ButtonElement(
                    text=plain("Add", 75),
                    action_id=ActionId.ADD_USER,
                    value=DirectoryRef(id=user.id).model_dump_json(),
                ),
            )
        )
    for group in search.groups:
        size = f" · {group.member_count:,} members" if group.member_count is not None else ""
        blocks.append(
            SectionBlock(
                text=mrkdwn(f":busts_in_silhouette: *{escape(group.name)}* (group{size})"),
                accessory=ButtonElement(
                    text=plain("Add", 75),
                    action_id=ActionId.ADD_GROUP,
                    value=DirectoryRef(id=group.id).model_dump_json(),
                ),
            )
        )
    if not search.users and not search.groups:
        blocks.append(ContextBlock(elements=[mrkdwn("Nobody matches. Try *Contains*, or fewer letters.")]))
    elif search.truncated:
        blocks.append(ContextBlock(elements=[mrkdwn("More match than are shown: refine your search.")]))
    return blocks


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
        SectionBlock(block_id=BlockId.INVITEES, text=mrkdwn(f"*Users to invite* ({draft.total:,}{missing})")),
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


def _sending_blocks(draft: DraftSummary, *, default_days: int) -> list[Block]:
    platforms = [option(choice.label, choice.value) for choice in PlatformChoice]
    blocks: list[Block] = [
        DividerBlock(),
        InputBlock(
            block_id=BlockId.DAYS,
            label=plain("Days until expiration"),
            element=NumberInputElement(
                action_id=ActionId.DAYS,
                is_decimal_allowed=False,
                min_value="1",
                max_value="365",
                initial_value=str(default_days),
            ),
        ),
        InputBlock(
            block_id=BlockId.DEVICES,
            label=plain("Devices per person"),
            dispatch_action=True,
            hint=plain("Each invitation is its own e-mail and enrolls one device."),
            element=NumberInputElement(
                action_id=ActionId.DEVICES,
                is_decimal_allowed=False,
                min_value=str(DEVICES_MIN),
                max_value=str(DEVICES_MAX),
                initial_value=str(draft.devices_per_person),
                dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_character_entered"]),
            ),
        ),
        InputBlock(
            block_id=BlockId.PLATFORM,
            label=plain("Platform"),
            dispatch_action=True,
            element=RadioButtonsElement(
                action_id=ActionId.PLATFORM,
                options=platforms,
                initial_option=option(draft.platform.label, draft.platform.value),
            ),
        ),
    ]
    if draft.forecast is not None and draft.forecast.invitees:
        blocks.append(ContextBlock(elements=[mrkdwn(forecast_line(draft.forecast))]))
    return blocks


def forecast_line(forecast: LicenceForecast) -> str:
    """`4 people, 2 devices each = 8 invitations (one e-mail each) · up to 4 more licensed users…`"""
    people = f"{forecast.invitees:,} {'person' if forecast.invitees == 1 else 'people'}"
    devices = f"{forecast.devices_per_person} device{'' if forecast.devices_per_person == 1 else 's'}"
    licences = forecast.additional_licences
    return (
        f"{people}, {devices} each = {forecast.invitations:,} invitation{'' if forecast.invitations == 1 else 's'} "
        f"(one e-mail each) · up to {licences:,} more licensed user{'s' if licences != 1 else ''} if all enroll "
        f"({forecast.devices_per_licence} devices per licensed user)"
    )


LANGUAGES_SHOWN = 8


def _language_option(code: str) -> Option:
    return option(language_label(code), code)


def language_blocks(languages: CustomerLanguages) -> list[Block]:
    """`Language` of the invitations (LANGUAGE preselected; Slack keeps a choice across updates of
    the view), and which language each customer's e-mails use, to choose by."""
    known = [f"{escape(name)}: {language_label(code)}" for name, code in languages.own[:LANGUAGES_SHOWN]]
    more = len(languages.own) - LANGUAGES_SHOWN
    if more > 0:
        known.append(f"{more:,} more")
    default = language_label(languages.default)
    if languages.others:
        known.append(f"{'the other customers' if known else 'all customers'}: {default} (the default)")
    blocks: list[Block] = [
        InputBlock(
            block_id=BlockId.LANGUAGE,
            label=plain("Language"),
            hint=plain("The invitation e-mails and the pages they link to are written in this language."),
            element=StaticSelectElement(
                action_id=ActionId.LANGUAGE,
                options=[_language_option(code) for code in SHIPPED_LANGUAGES],
                initial_option=_language_option(languages.default),
            ),
        )
    ]
    if known:
        blocks.append(ContextBlock(elements=[mrkdwn("*Customers' languages:* " + " · ".join(known))]))
    return blocks


def invite_modal(
    draft: DraftSummary,
    *,
    metadata: InviteMetadata,
    default_days: int,
    languages: CustomerLanguages | None = None,
) -> View:
    blocks: list[Block] = [
        HeaderBlock(block_id=BlockId.HEADER, text=plain("Send Enrollment Invitation", 150)),
        *_search_blocks(draft),
        *_results_blocks(draft),
        *_list_blocks(draft),
        *_sending_blocks(draft, default_days=default_days),
        *(language_blocks(languages) if languages is not None else []),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.INVITE,
        title=plain("Enrollment Invitation", 24),
        submit=plain("Send", 24),
        close=plain("Cancel", 24),
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )


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
                block_id=BlockId.EMAIL,
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
                block_id=BlockId.DAYS,
                label=plain("More days"),
                element=NumberInputElement(
                    action_id=ActionId.DAYS,
                    is_decimal_allowed=False,
                    min_value="1",
                    max_value="365",
                    initial_value=str(days),
                ),
            ),
        ],
    )
