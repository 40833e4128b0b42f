"""Previous / Next under a page of a longer list, as every paged answer shows them."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock

from blocks.text import mrkdwn, plain


def pager(
    *,
    noun: str,
    offset: int,
    shown: int,
    total: int,
    action_id: str,
    previous_value: str,
    next_value: str,
) -> list[Block]:
    """ "Showing 21 to 40 of 55 <noun>" and the buttons that lead away from this page; the action ids
    end in `.previous` and `.next`, and each button's value says which page it opens."""
    total = max(total, offset + shown)
    if shown == 0:
        return []
    blocks: list[Block] = [
        ContextBlock(elements=[mrkdwn(f"Showing {offset + 1} to {offset + shown} of {total:,} {noun}")])
    ]
    buttons: list[ButtonElement] = []
    if offset > 0:
        buttons.append(
            ButtonElement(text=plain("Previous", 75), action_id=f"{action_id}.previous", value=previous_value)
        )
    if offset + shown < total:
        buttons.append(ButtonElement(text=plain("Next", 75), action_id=f"{action_id}.next", value=next_value))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return blocks
