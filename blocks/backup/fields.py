"""Input fields the /backup modals share: text, e-mail and the customer select."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    PlainTextInputElement,
    StaticSelectElement,
)

from blocks.backup.ids import ActionId
from blocks.text import option, plain
from bot.accounts.forms import Field
from bot.customers.scope import CustomerChoice
from bot.customers.service import CustomerSummary

SELECT_OPTIONS_MAX = 100


def text_input(
    field: Field,
    label: str,
    *,
    max_length: int,
    optional: bool = False,
    multiline: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    initial: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=PlainTextInputElement(
            action_id=field,
            initial_value=initial or None,
            max_length=max_length,
            multiline=multiline,
            placeholder=plain(placeholder, 150) if placeholder else None,
        ),
    )


def email_input(
    field: Field, label: str, *, hint: str | None = None, optional: bool = False, initial: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=plain(label),
        optional=optional,
        hint=plain(hint) if hint else None,
        element=EmailInputElement(
            action_id=field, placeholder=plain("name@company.com"), initial_value=initial or None
        ),
    )


def customer_select(customers: Sequence[CustomerSummary]) -> InputBlock:
    """`Customer`: a static select while every customer fits in one (Slack: 100 options), else a
    type-ahead over any part of the name (an external select answered by the options listener)."""
    element: StaticSelectElement | ExternalDataSelectElement
    if len(customers) > SELECT_OPTIONS_MAX:
        element = ExternalDataSelectElement(
            action_id=ActionId.CUSTOMER_SEARCH,
            placeholder=plain("Type part of the customer's name"),
            min_query_length=1,
        )
    else:
        element = StaticSelectElement(
            action_id=Field.CUSTOMER,
            placeholder=plain("Choose a customer"),
            options=[option(c.name, str(c.id)) for c in customers],
        )
    return InputBlock(block_id=Field.CUSTOMER, label=plain("Customer"), element=element)


def customer_options(choices: Sequence[CustomerChoice]) -> list[dict[str, Any]]:
    """The answer to a type-ahead customer field's options request."""
    return [option(choice.name, str(choice.id)).to_dict() for choice in choices[:SELECT_OPTIONS_MAX]]
