"""Options requests: what Slack does when a person types into a select menu of an external data
source, and what it accepts as the app's answer. Each rule cites Slack's reference.

    outcome = view.type_ahead("customer", "acme")     # block_suggestion, signed, to the options URL
    outcome.options                                   # what the person sees in the menu
    view.choose("customer", outcome.options[0]["value"])

The options offered last for a menu are remembered (`OfferedOptions`): Slack lets a person pick
only what the menu shows, so `choose` on an external select picks among them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.appconfig import AppConfig
from console.blockkit_elements import ElementChecker
from console.models import JSON, AppIdentity, User
from console.payloads import interactivity_body, team_ref, user_ref
from console.transport import Delivery, RequestKind
from console.workspace import Workspace

EXTERNAL_SELECTS = frozenset({"external_select", "multi_external_select"})


def block_suggestion(
    identity: AppIdentity, *, user: User, view: JSON, block_id: str, action_id: str, value: str
) -> JSON:
    """The `block_suggestion` payload from a menu in a view: the element's ids and what was typed
    (api.slack.com/reference/interaction-payloads/block-suggestion: user, team, api_app_id,
    container, action_id, block_id, value, view). It has no trigger_id: an options request cannot
    open a modal."""
    return {
        "type": "block_suggestion",
        "user": user_ref(identity, user),
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": identity.app_id,
        "token": identity.verification_token,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": team_ref(identity),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": copy.deepcopy(view),
    }


def min_query_length(element: Mapping[str, Any], limits: Mapping[str, Any]) -> int:
    """ "When the typeahead field is used, a request will be sent on every character change …
    min_query_length … the fewest number of typed characters required before dispatch. The default
    value is 3." (api.slack.com/reference/block-kit/block-elements#external_select)"""
    default = int(limits["external_select"]["min_query_length"]["default"])
    value = element.get("min_query_length", default)
    return int(value) if isinstance(value, int) else default


@dataclass
class OptionsOutcome:
    """What came of typing into an external select."""

    delivery: Delivery | None  # None: too few characters typed, Slack sent nothing
    options: list[JSON] = field(default_factory=list)  # what the menu shows (groups flattened)
    option_groups: list[JSON] | None = None
    problems: list[str] = field(default_factory=list)


def check_answer(limits: Mapping[str, Any], delivery: Delivery, what: str) -> OptionsOutcome:
    """The app's answer as Slack takes it, or the problems that make the menu show nothing."""
    checker = ElementChecker(limits)
    # "Your app should return an HTTP 200 OK response, along with an application/json post body with
    # an object containing either an options array, or an option_groups array."
    # (api.slack.com/reference/block-kit/block-elements#external_select)
    if "application/json" not in {k.lower(): v for k, v in delivery.headers.items()}.get("content-type", ""):
        checker.problem(what, "the answer is not application/json")
    answer = delivery.json()
    if not isinstance(answer, dict):
        checker.problem(what, "the answer is not a JSON object")
        return OptionsOutcome(delivery, problems=checker.problems)
    options, groups = answer.get("options"), answer.get("option_groups")
    if (options is None) == (groups is None):
        checker.problem(what, "the answer needs exactly one of options or option_groups")
        return OptionsOutcome(delivery, problems=checker.problems)
    # "Users may return a maximum of 100 options or option groups when handling the block_suggestion
    # payload." (api.slack.com/reference/interaction-payloads/block-suggestion); option and group
    # limits as for any select (slack_sdk.models.blocks.Option / OptionGroup: text 75, value 150,
    # label 75, 100 options a group).
    shown: list[JSON] = []
    if options is not None:
        checker.options(
            f"{what}: options", options, "external_select", "options_response", "options", plain_only=True
        )
        shown = [o for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    else:
        for index, group in enumerate(
            checker.count(
                f"{what}: option_groups", groups, "external_select", "options_response", "option_groups"
            )
        ):
            shown.extend(checker.option_group(f"{what}: option_groups[{index}]", group))
    if checker.problems:
        return OptionsOutcome(delivery, problems=checker.problems)
    return OptionsOutcome(delivery, options=shown, option_groups=groups if groups is not None else None)


class OfferedOptions:
    """The options each external select showed last, by (view id, block_id, action_id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offered: dict[tuple[str, str, str], list[JSON]] = {}

    def remember(self, view_id: str, block_id: str, action_id: str, options: list[JSON]) -> None:
        with self._lock:
            self._offered[(view_id, block_id, action_id)] = copy.deepcopy(options)

    def shown(self, view_id: str, block_id: str, action_id: str) -> list[JSON]:
        with self._lock:
            return copy.deepcopy(self._offered.get((view_id, block_id, action_id), []))


class SuggestingDriver(Protocol):
    """What an options request needs of the driver acting for the person."""

    @property
    def workspace(self) -> Workspace: ...

    app: AppConfig
    offered: OfferedOptions

    def deliver(self, kind: RequestKind, body: bytes, what: str) -> tuple[Delivery, list[str]]: ...


def request_options(
    driver: SuggestingDriver, user_id: str, view_id: str, block: JSON, element: JSON, typed: str
) -> OptionsOutcome:
    """The person types `typed` into an external select of a view: Slack asks the app for options
    (within min_query_length) and shows what it answers, or nothing when the answer breaks a rule."""
    ws = driver.workspace
    kind, action_id, block_id = (
        str(element.get("type")),
        str(element.get("action_id")),
        str(block["block_id"]),
    )
    if kind not in EXTERNAL_SELECTS:
        raise TypeError(f"{block_id}: a {kind} has no type-ahead options request")
    if len(typed) < min_query_length(element, ws.limits.data):
        return OptionsOutcome(None)
    what = f"block_suggestion {action_id!r} in view {ws.views.get(view_id).get('callback_id')!r}"
    if not driver.app.options_load_url:
        problem = f"{what}: the app's manifest sets no Options Load URL (message_menu_options_url)"
        ws.add_problem(problem)
        return OptionsOutcome(None, problems=[problem])
    payload = block_suggestion(
        ws.identity,
        user=ws.user(user_id),
        view=ws.views.get(view_id),
        block_id=block_id,
        action_id=action_id,
        value=typed,
    )
    # Sent like every interactivity payload: a form with one `payload` field, signed, and answered
    # within 3 s (Driver.deliver records a slower answer; Slack then shows no options).
    delivery, problems = driver.deliver("options", interactivity_body(payload), what)
    if problems:
        return OptionsOutcome(delivery, problems=problems)
    outcome = check_answer(ws.limits.data, delivery, what)
    for problem in outcome.problems:
        ws.add_problem(problem)
    driver.offered.remember(view_id, block_id, action_id, outcome.options)
    return outcome
