"""The search part of the Send Enrollment Invitation modal: the search box, the match mode, and
the results with their Add buttons."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig

from blocks.enroll.ids import ActionId, BlockId
from blocks.enroll.metadata import DirectoryRef, FoundGroupRef, FoundPersonRef
from blocks.text import escape, mrkdwn, plain
from bot.enrollment.drafts import FoundUser
from bot.enrollment.summary import DraftSummary
from bot.integrations.directory.port import MatchMode

# Slack's limit on a button's value (Block Kit reference, button element: `value`).
BUTTON_VALUE_MAX = 2000
Seal = Callable[[str], str]
MODE_LABELS = {MatchMode.BEGINS_WITH: "Begins with", MatchMode.CONTAINS: "Contains"}
MODE_DESCRIPTIONS = {
    MatchMode.BEGINS_WITH: "The default: a name, account name or e-mail starting with it; faster",
    MatchMode.CONTAINS: "Anywhere in a name, account name or e-mail",
}


def _mode_option(mode: MatchMode) -> Option:
    return Option(text=plain(MODE_LABELS[mode]), value=mode.value, description=plain(MODE_DESCRIPTIONS[mode]))


def search_blocks(mode: MatchMode) -> list[Block]:
    """The search box and the match mode (`mode` chosen)."""
    modes = [_mode_option(each) for each in MODE_LABELS]
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
                initial_option=_mode_option(mode),
            ),
        ),
        ActionsBlock(
            block_id=BlockId.SEARCH_ACTIONS,
            elements=[ButtonElement(text=plain("Search", 75), action_id=ActionId.SEARCH, style="primary")],
        ),
    ]


def _person_ref(draft_id: str, user: FoundUser) -> FoundPersonRef:
    return FoundPersonRef(
        draft_id=draft_id,
        id=user.id,
        display_name=user.display_name,
        account_name=user.account_name,
        email=user.email,
    )


def _add_value(seal: Seal | None, found: FoundPersonRef | FoundGroupRef, id_: str) -> str:
    """The result sealed when it fits a button's value, else the id alone (Add then finds the
    result kept with the draft)."""
    if seal is not None:
        sealed = seal(found.model_dump_json())
        if len(sealed) <= BUTTON_VALUE_MAX:
            return sealed
    return DirectoryRef(id=id_).model_dump_json()


def results_blocks(draft: DraftSummary, *, draft_id: str = "", seal: Seal | None = None) -> list[Block]:
    """`seal`: makes each Add button carry its result (FoundPersonRef, FoundGroupRef) so that it
    can be trusted when it comes back; without it the buttons carry the ids."""
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
                    value=_add_value(seal, _person_ref(draft_id, user), user.id),
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
                    value=_add_value(
                        seal, FoundGroupRef(draft_id=draft_id, id=group.id, name=group.name), group.id
                    ),
                ),
            )
        )
    if not search.users and not search.groups:
        blocks.append(ContextBlock(elements=[mrkdwn("Nobody matches. Try *Contains*, or fewer letters.")]))
    elif search.truncated:
        blocks.append(ContextBlock(elements=[mrkdwn("More match than are shown: refine your search.")]))
    return blocks
