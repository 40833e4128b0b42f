"""The part of Send Enrollment Invitation below the list of people: how the invitations are sent
(days, devices per person, platform, the licence forecast) and in which language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    InputBlock,
    NumberInputElement,
    Option,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig

from blocks.enroll.ids import ActionId
from blocks.text import escape, mrkdwn, option, plain
from bot.customers.service import CustomerLanguages
from bot.enrollment.checks import DAYS_MAX, DAYS_MIN, DEVICES_MAX, DEVICES_MIN
from bot.enrollment.fields import Field
from bot.enrollment.licences import LicenceForecast
from bot.enrollment.models import PlatformChoice
from bot.enrollment.summary import DraftSummary
from bot.i18n.languages import SHIPPED_LANGUAGES, language_label


@dataclass(frozen=True)
class SendingValues:
    """What the blocks below the list show: the sending settings and the languages."""

    default_days: int
    devices_per_person: int
    platform: PlatformChoice
    forecast: LicenceForecast | None
    languages: CustomerLanguages | None

    @staticmethod
    def of(draft: DraftSummary, default_days: int, languages: CustomerLanguages | None) -> SendingValues:
        return SendingValues(
            default_days, draft.devices_per_person, draft.platform, draft.forecast, languages
        )


def sending_blocks(values: SendingValues) -> list[Block]:
    """The blocks below the list of Send Enrollment Invitation."""
    languages = language_blocks(values.languages) if values.languages is not None else []
    return [*_settings_blocks(values), *languages]


@lru_cache(maxsize=256)
def sending_json(values: SendingValues) -> str:
    """`sending_blocks(values)` as JSON, made once per values: a string, so that each view gets
    blocks of its own to change."""
    return json.dumps([block.to_dict() for block in sending_blocks(values)])


def days_element(initial: int) -> NumberInputElement:
    """A number of days an invitation lasts (Days until expiration, Extend's More days), within
    the bounds `check_days` holds it to."""
    return NumberInputElement(
        action_id=ActionId.DAYS,
        is_decimal_allowed=False,
        min_value=str(DAYS_MIN),
        max_value=str(DAYS_MAX),
        initial_value=str(initial),
    )


def _settings_blocks(values: SendingValues) -> list[Block]:
    platforms = [option(choice.label, choice.value) for choice in PlatformChoice]
    blocks: list[Block] = [
        DividerBlock(),
        InputBlock(
            block_id=Field.DAYS,
            label=plain("Days until expiration"),
            element=days_element(values.default_days),
        ),
        InputBlock(
            block_id=Field.DEVICES,
            label=plain("Devices per person"),
            dispatch_action=True,
            hint=plain("Each invitation is its own e-mail and enrolls one device."),
            element=NumberInputElement(
                action_id=ActionId.DEVICES,
                is_decimal_allowed=False,
                min_value=str(DEVICES_MIN),
                max_value=str(DEVICES_MAX),
                initial_value=str(values.devices_per_person),
                dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_character_entered"]),
            ),
        ),
        InputBlock(
            block_id=Field.PLATFORM,
            label=plain("Platform"),
            dispatch_action=True,
            element=RadioButtonsElement(
                action_id=ActionId.PLATFORM,
                options=platforms,
                initial_option=option(values.platform.label, values.platform.value),
            ),
        ),
    ]
    if values.forecast is not None and values.forecast.invitees:
        blocks.append(ContextBlock(elements=[mrkdwn(forecast_line(values.forecast))]))
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
            block_id=Field.LANGUAGE,
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
