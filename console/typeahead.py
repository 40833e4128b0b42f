"""Type-ahead in the console: an `external_select` drawn as a text box whose typing asks the app
for options (Slack's signed `block_suggestion`, sent by the driver), and the options a person may
pick in it — those the app offered last, or the one the view already holds.

    offer(driver, user_id, view_id, "customer", "customer", "zur")  # [{"value": …, "label": …}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from console.models import JSON
from console.suggestions import EXTERNAL_SELECTS
from console.viewstate import find_block, find_element

if TYPE_CHECKING:
    from console.driver import Driver

# "min_query_length … The default value is 3." (api.slack.com/reference/block-kit/block-elements#external_select)
DEFAULT_MIN_QUERY = 3


def offer(
    driver: Driver, user_id: str, view_id: str, block_id: str, action_id: str, typed: str
) -> list[JSON]:
    """What the menu shows for `typed`: Slack's options request to the app, its answer as value and
    label pairs (empty below min_query_length). LookupError/ValueError for what cannot be typed into."""
    views = driver.workspace.views
    if not views.is_open(view_id) or views.owner(view_id) != user_id:
        raise LookupError("that view is no longer open (it was updated or closed meanwhile)")
    blocks = views.get(view_id)["blocks"]
    block, element = find_block(blocks, block_id), find_element(blocks, block_id, action_id)
    if element.get("type") not in EXTERNAL_SELECTS:
        raise ValueError(f"{block_id}: a {element.get('type')} has no type-ahead")
    outcome = driver.suggest(user_id, view_id, block, element, typed)
    if outcome.problems:
        raise ValueError("; ".join(outcome.problems))
    return [{"value": str(o.get("value")), "label": _plain(o.get("text"))} for o in outcome.options]


def pickable(driver: Driver, view_id: str, block_id: str, element: Mapping[str, Any]) -> list[JSON]:
    """The options a person can pick in an external select: Slack lets them pick only what the menu
    showed, and keeps what the view already holds."""
    action_id = str(element.get("action_id"))
    options = driver.offered.shown(view_id, block_id, action_id)
    held = driver.workspace.views.get(view_id)["state"]["values"].get(block_id, {}).get(action_id, {})
    chosen = held.get("selected_option")
    if isinstance(chosen, dict):
        options.append(chosen)
    options.extend(o for o in held.get("selected_options") or [] if isinstance(o, dict))
    return options


def render_type_ahead(element: Mapping[str, Any], held: Any, attrs: Markup, dom_id: str) -> Markup:
    """A combobox: a text box showing the chosen option's text (its value in data-value), and the
    list the page's script fills with the app's options as the person types."""
    chosen = held if isinstance(held, Mapping) else {}
    minimum = element.get("min_query_length", DEFAULT_MIN_QUERY)
    return Markup(
        '<div class="bk-typeahead"><input type="text" role="combobox" aria-autocomplete="list"'
        ' aria-expanded="false" aria-controls="{list_id}" autocomplete="off" class="bk-field"'
        ' data-min-query="{minimum}" data-value="{value}" value="{label}" placeholder="{placeholder}"{attrs}>'
        '<ul role="listbox" class="bk-typeahead-list" id="{list_id}" hidden></ul></div>'
    ).format(
        list_id=f"{dom_id}-options",
        minimum=minimum if isinstance(minimum, int) else DEFAULT_MIN_QUERY,
        value=str(chosen.get("value", "")) if chosen else "",
        label=_plain(chosen.get("text")) if chosen else "",
        placeholder=_plain(element.get("placeholder")) or "Type to search",
        attrs=attrs,
    )


def _plain(text: Any) -> str:
    return str(text.get("text", "")) if isinstance(text, Mapping) else ""
