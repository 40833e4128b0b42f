"""Block Kit interactive elements as accessible HTML form controls for the console.

Each control carries `data-block-id`, `data-action-id` and `data-type`, plus `data-dispatch` when
choosing or typing in it sends `block_actions` at once (elements outside input blocks, and input
blocks with `dispatch_action`). The page's script reads those attributes; nothing here runs code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from console.mrkdwn import RenderContext, render_mrkdwn, render_plain, safe_href
from console.typeahead import render_type_ahead
from console.viewstate import STATE_KEYS, all_options

JSON = dict[str, Any]
TEXT_TYPES = {"plain_text_input": "text", "email_text_input": "email", "url_text_input": "url"}
SELECTS = frozenset({"static_select", "external_select", "multi_static_select", "multi_external_select"})
PICKERS = frozenset(
    {
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)


@dataclass
class Surface:
    """Where blocks are drawn: the viewer's context, the view's state and field errors."""

    ctx: RenderContext
    prefix: str  # unique per surface, for element ids
    state: Mapping[str, Mapping[str, JSON]] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    def held(self, block_id: str, element: Mapping[str, Any]) -> Any:
        """What the element holds now (from the view state, else its initial value)."""
        kind = str(element.get("type"))
        key = STATE_KEYS.get(kind)
        if key is None:
            return None
        entry = self.state.get(block_id, {}).get(str(element.get("action_id")))
        if entry is not None:
            return entry.get(key)
        initial = (
            "initial_" + key.removeprefix("selected_") if key.startswith("selected_") else "initial_value"
        )
        return element.get(initial)


def text_of(obj: Any, ctx: RenderContext) -> Markup:
    """A text object (plain_text or mrkdwn) as HTML; empty for anything else."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("text"), str):
        return Markup("")
    if obj.get("type") == "mrkdwn":
        return render_mrkdwn(obj["text"], ctx, verbatim=bool(obj.get("verbatim")))
    return render_plain(obj["text"], emoji=obj.get("emoji", True) is not False)


def plain_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, Mapping) else ""


def _attrs(**values: Any) -> Markup:
    """HTML attributes (names with _ become -); None and False are left out, True is bare."""
    parts: list[Markup] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        attr = name.rstrip("_").replace("_", "-")
        parts.append(Markup(" {}").format(attr) if value is True else Markup(' {}="{}"').format(attr, value))
    return Markup("").join(parts)


def _data(block_id: str, element: Mapping[str, Any], dispatch: bool) -> dict[str, Any]:
    return {
        "data_block_id": block_id,
        "data_action_id": element.get("action_id", ""),
        "data_type": element.get("type"),
        "data_dispatch": "1" if dispatch else None,
    }


def render_element(
    element: Mapping[str, Any],
    block_id: str,
    surface: Surface,
    *,
    dom_id: str,
    dispatch: bool,
    label: str | None = None,
    described_by: str | None = None,
) -> Markup:
    kind = str(element.get("type"))
    if kind == "button":
        return render_button(element, block_id, surface.ctx)
    if kind == "image":
        return image_placeholder(element)
    if kind == "overflow":
        return _select(
            element, block_id, surface, dom_id=dom_id, dispatch=True, label=label or "More actions"
        )
    common: dict[str, Any] = {
        "id": dom_id,
        "aria_describedby": described_by,
        "aria_invalid": "true" if block_id in surface.errors else None,
        "aria_label": label,
        **_data(block_id, element, dispatch),
    }
    held = surface.held(block_id, element)
    if kind in TEXT_TYPES or kind == "number_input":
        return _text_input(element, kind, held, common)
    if kind == "external_select":
        return render_type_ahead(element, held, _attrs(**common), dom_id)
    if kind in SELECTS or kind in PICKERS:
        return _select(
            element, block_id, surface, dom_id=dom_id, dispatch=dispatch, label=label, extra=common
        )
    if kind in ("radio_buttons", "checkboxes"):
        return _choices(element, kind, held, surface, common)
    if kind == "file_input":
        return _file_input(element, held, common)
    if kind in ("datepicker", "timepicker"):
        input_type = "date" if kind == "datepicker" else "time"
        return Markup("<input{}>").format(
            _attrs(type=input_type, class_="bk-field", value=held or None, **common)
        )
    return Markup('<span class="bk-unsupported">(a {} element)</span>').format(kind)


def _file_input(element: Mapping[str, Any], held: Any, common: dict[str, Any]) -> Markup:
    """A file picker; the browser uploads the chosen file at once (Slack's client does too), and
    the files the view holds are listed by name."""
    types = element.get("filetypes")
    accept = ",".join(f".{t}" for t in types) if isinstance(types, list) and types else None
    chosen = [str(f.get("name")) for f in held or [] if isinstance(f, Mapping)]
    names = Markup("").join(Markup('<li class="bk-file">{}</li>').format(name) for name in chosen)
    return Markup('<input{}><ul class="bk-files">{}</ul>').format(
        _attrs(type="file", class_="bk-field", accept=accept, **common), names
    )


def _text_input(element: Mapping[str, Any], kind: str, held: Any, common: dict[str, Any]) -> Markup:
    placeholder = plain_of(element.get("placeholder")) or None
    value = "" if held is None else str(held)
    if kind == "plain_text_input" and element.get("multiline"):
        return Markup("<textarea{}>{}</textarea>").format(
            _attrs(
                class_="bk-field",
                rows="4",
                placeholder=placeholder,
                maxlength=element.get("max_length"),
                data_initial=value,
                **common,
            ),
            value,
        )
    number = kind == "number_input"
    return Markup("<input{}>").format(
        _attrs(
            type=TEXT_TYPES.get(kind, "text"),
            class_="bk-field",
            value=value,
            placeholder=placeholder,
            maxlength=element.get("max_length"),
            inputmode=("decimal" if element.get("is_decimal_allowed") else "numeric") if number else None,
            autocomplete="off",
            spellcheck="false" if kind != "plain_text_input" else None,
            **common,
        )
    )


def _option_label(option: Mapping[str, Any], ctx: RenderContext) -> Markup:
    return text_of(option.get("text"), ctx)


def _select(
    element: Mapping[str, Any],
    block_id: str,
    surface: Surface,
    *,
    dom_id: str,
    dispatch: bool,
    label: str | None,
    extra: dict[str, Any] | None = None,
) -> Markup:
    kind = str(element.get("type"))
    held = surface.held(block_id, element)
    multiple = kind.startswith("multi_")
    chosen: set[str] = set()
    if isinstance(held, Mapping):
        chosen.add(str(held.get("value")))
    elif isinstance(held, list):
        chosen.update(str(h.get("value")) if isinstance(h, Mapping) else str(h) for h in held)
    elif isinstance(held, str):
        chosen.add(held)
    options: list[Markup] = []
    if kind == "overflow":
        options.append(Markup('<option value="">\u22ef</option>'))
    elif not multiple:
        placeholder = plain_of(element.get("placeholder")) or "Choose an option"
        options.append(Markup('<option value="">{}</option>').format(placeholder))
    for value, text in _select_options(element, surface.ctx):
        options.append(
            Markup("<option{}>{}</option>").format(_attrs(value=value, selected=value in chosen), text)
        )
    attrs = extra or {"id": dom_id, "aria_label": label, **_data(block_id, element, dispatch)}
    css = "bk-overflow" if kind == "overflow" else "bk-field bk-select"
    return Markup("<select{}>{}</select>").format(
        _attrs(class_=css, multiple=multiple, **attrs), Markup("").join(options)
    )


def _select_options(element: Mapping[str, Any], ctx: RenderContext) -> list[tuple[str, Markup]]:
    kind = str(element.get("type"))
    if kind.endswith("users_select"):
        return [(uid, escape(name)) for uid, name in ctx.users.items()]
    if kind.endswith(("conversations_select", "channels_select")):
        return [(cid, escape("#" + name)) for cid, name in ctx.channels.items()]
    return [(str(o.get("value")), _option_label(o, ctx)) for o in all_options(element)]


def _choices(
    element: Mapping[str, Any], kind: str, held: Any, surface: Surface, common: dict[str, Any]
) -> Markup:
    input_type = "radio" if kind == "radio_buttons" else "checkbox"
    chosen: set[str] = set()
    if isinstance(held, Mapping):
        chosen.add(str(held.get("value")))
    elif isinstance(held, list):
        chosen.update(str(h.get("value")) for h in held if isinstance(h, Mapping))
    dom_id = str(common["id"])
    items: list[Markup] = []
    for index, option in enumerate(all_options(element)):
        value = str(option.get("value"))
        description = option.get("description")
        items.append(
            Markup('<label class="bk-choice"><input{}><span>{}{}</span></label>').format(
                _attrs(
                    type=input_type,
                    id=f"{dom_id}-{index}",
                    name=dom_id,
                    value=value,
                    checked=value in chosen,
                    **{k: v for k, v in common.items() if k.startswith("data_")},
                ),
                _option_label(option, surface.ctx),
                Markup('<small class="bk-desc">{}</small>').format(text_of(description, surface.ctx))
                if description
                else Markup(""),
            )
        )
    role = "radiogroup" if input_type == "radio" else "group"
    return Markup('<div class="bk-choices"{}>{}</div>').format(
        _attrs(
            role=role,
            id=dom_id,
            aria_label=common.get("aria_label"),
            aria_labelledby=None if common.get("aria_label") else f"{dom_id}-label",
            aria_describedby=common.get("aria_describedby"),
            aria_invalid=common.get("aria_invalid"),
        ),
        Markup("").join(items),
    )


def render_button(element: Mapping[str, Any], block_id: str, ctx: RenderContext) -> Markup:
    style = element.get("style")
    css = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
    text = text_of(element.get("text"), ctx)
    attrs = _attrs(
        type="button",
        class_=css,
        data_value=element.get("value"),
        data_url=safe_href(str(element.get("url", ""))) if element.get("url") else None,
        aria_label=element.get("accessibility_label"),
        **_data(block_id, element, True),
    )
    confirm = element.get("confirm")
    dialog = render_confirm(confirm, ctx) if isinstance(confirm, Mapping) else Markup("")
    return Markup("<button{}>{}</button>{}").format(attrs, text, dialog)


def render_confirm(confirm: Mapping[str, Any], ctx: RenderContext) -> Markup:
    """A confirmation dialog's content, hidden next to its button; the script shows it first."""
    style = confirm.get("style")
    return Markup(
        '<div class="bk-confirm" hidden{}><p class="bk-confirm-title">{}</p><div class="bk-confirm-text">{}</div>'
        '<span class="bk-confirm-yes">{}</span><span class="bk-confirm-no">{}</span></div>'
    ).format(
        _attrs(data_style=style if style in ("primary", "danger") else None),
        text_of(confirm.get("title"), ctx) or "Are you sure?",
        text_of(confirm.get("text"), ctx),
        text_of(confirm.get("confirm"), ctx) or "Yes",
        text_of(confirm.get("deny"), ctx) or "Cancel",
    )


def image_placeholder(element: Mapping[str, Any]) -> Markup:
    """Images are not fetched (the console makes no outside requests): their alt text is shown."""
    alt = str(element.get("alt_text") or "image")
    return Markup('<span class="bk-image" role="img" aria-label="{}">\U0001f5bc {}</span>').format(alt, alt)
