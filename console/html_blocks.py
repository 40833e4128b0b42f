"""Block Kit layout blocks (header, section, divider, context, actions, input, image) as HTML.

    render_blocks(blocks, Surface(ctx, prefix="m1"))                 # a message or Home tab
    render_blocks(view["blocks"], Surface(ctx, "v1", state, errors)) # a modal, with its values

Input blocks show their label, hint and the error Slack shows under the field (`response_action:
errors` from the app, or the Slack client's own "required" check).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from console.html_elements import (
    Surface,
    image_placeholder,
    plain_of,
    render_element,
    text_of,
)


def render_blocks(blocks: Any, surface: Surface) -> Markup:
    if not isinstance(blocks, list):
        return Markup("")
    rendered = [
        render_block(block, surface, dom_id=f"{surface.prefix}-b{index}")
        for index, block in enumerate(blocks)
        if isinstance(block, Mapping)
    ]
    return Markup("").join(rendered)


def render_block(block: Mapping[str, Any], surface: Surface, *, dom_id: str) -> Markup:
    kind = block.get("type")
    block_id = str(block.get("block_id", ""))
    if kind == "header":
        return Markup('<h3 class="bk-header">{}</h3>').format(text_of(block.get("text"), surface.ctx))
    if kind == "divider":
        return Markup('<hr class="bk-divider">')
    if kind == "section":
        return _section(block, block_id, surface, dom_id)
    if kind == "context":
        return _context(block, surface)
    if kind == "actions":
        controls = [
            render_element(element, block_id, surface, dom_id=f"{dom_id}-e{index}", dispatch=True)
            for index, element in enumerate(block.get("elements", []))
            if isinstance(element, Mapping)
        ]
        return Markup('<div class="bk-actions">{}</div>').format(Markup("").join(controls))
    if kind == "input":
        return _input(block, block_id, surface, dom_id)
    if kind == "image":
        title = text_of(block.get("title"), surface.ctx)
        return Markup('<figure class="bk-figure">{}{}</figure>').format(
            image_placeholder(block),
            Markup("<figcaption>{}</figcaption>").format(title) if title else Markup(""),
        )
    return Markup('<p class="bk-unsupported">(a {} block the console does not draw)</p>').format(kind)


def _section(block: Mapping[str, Any], block_id: str, surface: Surface, dom_id: str) -> Markup:
    parts: list[Markup] = []
    text = text_of(block.get("text"), surface.ctx)
    if text:
        parts.append(Markup('<div class="bk-text">{}</div>').format(text))
    fields = [text_of(f, surface.ctx) for f in block.get("fields", []) if isinstance(f, Mapping)]
    if fields:
        cells = Markup("").join(Markup('<div class="bk-field-cell">{}</div>').format(f) for f in fields)
        parts.append(Markup('<div class="bk-fields">{}</div>').format(cells))
    accessory = block.get("accessory")
    body = Markup('<div class="bk-section-body">{}</div>').format(Markup("").join(parts))
    if isinstance(accessory, Mapping):
        label = plain_of(block.get("text")) or None
        control = render_element(
            accessory, block_id, surface, dom_id=f"{dom_id}-acc", dispatch=True, label=label
        )
        return Markup(
            '<div class="bk-section has-accessory">{}<div class="bk-accessory">{}</div></div>'
        ).format(body, control)
    return Markup('<div class="bk-section">{}</div>').format(body)


def _context(block: Mapping[str, Any], surface: Surface) -> Markup:
    items: list[Markup] = []
    for element in block.get("elements", []):
        if not isinstance(element, Mapping):
            continue
        if element.get("type") == "image":
            items.append(image_placeholder(element))
        else:
            items.append(Markup("<span>{}</span>").format(text_of(element, surface.ctx)))
    return Markup('<div class="bk-context">{}</div>').format(Markup("").join(items))


def _input(block: Mapping[str, Any], block_id: str, surface: Surface, dom_id: str) -> Markup:
    element = block.get("element")
    if not isinstance(element, Mapping):
        return Markup("")
    control_id = f"{dom_id}-input"
    error = surface.errors.get(block_id)
    hint = text_of(block.get("hint"), surface.ctx)
    described = " ".join(
        part
        for part, present in ((f"{control_id}-hint", bool(hint)), (f"{control_id}-error", bool(error)))
        if present
    )
    control = render_element(
        element,
        block_id,
        surface,
        dom_id=control_id,
        dispatch=bool(block.get("dispatch_action")),
        described_by=described or None,
    )
    optional = Markup(' <span class="bk-optional">(optional)</span>') if block.get("optional") else Markup("")
    label = text_of(block.get("label"), surface.ctx)
    return Markup(
        '<div class="bk-input{}" data-input-block="{}"><label class="bk-label" for="{}" id="{}-label">{}{}</label>'
        "{}{}{}</div>"
    ).format(
        " has-error" if error else "",
        block_id,
        control_id,
        control_id,
        label,
        optional,
        control,
        Markup('<p class="bk-hint" id="{}-hint">{}</p>').format(control_id, hint) if hint else Markup(""),
        Markup('<p class="bk-error" id="{}-error" role="alert">{}</p>').format(control_id, error)
        if error
        else Markup(""),
    )
