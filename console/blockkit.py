"""Block Kit limits validator: every message and view is checked against the shared limits file.

    limits = BlockKitLimits.load(path)
    limits.validate_message(blocks, text=None) -> list[str]
    limits.validate_view(view) -> list[str]

Each problem names the JSON path and the limit it breaks, e.g.
`blocks[3].elements[0].text.text: 81 characters > 75 (button.text)`. No number is restated
here: they all come from the file (see ../shared/slack/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from console.blockkit_elements import (
    ACCESSORY_ELEMENTS,
    ACTIONS_ELEMENTS,
    INPUT_ELEMENTS,
    ElementChecker,
)

BLOCK_TYPES = frozenset({"header", "section", "divider", "context", "actions", "input", "image"})
VIEW_TYPES = frozenset({"modal", "home"})
_CONTEXT_ELEMENTS = frozenset({"image", "plain_text", "mrkdwn"})


class BlockKitLimits:
    """The documented Block Kit limits, loaded from the shared JSON file."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        # Fail at load time, not in the middle of a test, when the file lacks what we use.
        ElementChecker(data).limit("text", "min_length")

    @classmethod
    def load(cls, path: str | Path) -> BlockKitLimits:
        with Path(path).open(encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the Block Kit limits file must hold a JSON object")
        return cls(data)

    def validate_message(self, blocks: Any, text: str | None = None, attachments: Any = None) -> list[str]:
        """Problems of a message's blocks (and legacy attachments' blocks), [] when fine."""
        checker = _SurfaceChecker(self.data)
        if blocks is not None:
            items = checker.count("blocks", blocks, "message", "blocks", required=False)
            checker.blocks("blocks", items, surface="message")
        if attachments is not None:
            for index, attachment in enumerate(
                checker.count("attachments", attachments, "message", "attachments", required=False)
            ):
                if isinstance(attachment, Mapping) and "blocks" in attachment:
                    path = f"attachments[{index}].blocks"
                    items = checker.count(path, attachment["blocks"], "message", "blocks")
                    checker.blocks(path, items, surface="message")
        if text is not None and not isinstance(text, str):
            checker.problem("text", "must be a string")
        return checker.problems

    def validate_view(self, view: Any) -> list[str]:
        """Problems of a modal or Home tab view, [] when fine."""
        checker = _SurfaceChecker(self.data)
        checker.view(view)
        return checker.problems


class _SurfaceChecker(ElementChecker):
    def __init__(self, limits: Mapping[str, Any]) -> None:
        super().__init__(limits)
        self._block_ids: dict[str, str] = {}

    def view(self, view: Any) -> None:
        if not isinstance(view, Mapping):
            self.problem("view", "must be an object")
            return
        kind = view.get("type")
        if kind not in VIEW_TYPES:
            self.problem("type", f"unknown view type {kind!r}")
            return
        if kind == "modal":
            self.text("title", view.get("title"), "view", "title")
            self.text("close", view.get("close"), "view", "close", required=False)
            self.text("submit", view.get("submit"), "view", "submit", required=False)
        for field in ("private_metadata", "callback_id", "external_id"):
            self.string(field, view.get(field), "view", field)
        for flag in ("clear_on_close", "notify_on_close", "submit_disabled"):
            if flag in view and not isinstance(view[flag], bool):
                self.problem(flag, "must be a boolean")
        blocks = self.count("blocks", view.get("blocks"), "view", "blocks")
        self.blocks("blocks", blocks, surface=kind)
        has_inputs = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        if kind == "modal" and has_inputs and view.get("submit") is None:
            self.problem("submit", "a modal with input blocks needs a submit button")

    def blocks(self, path: str, blocks: list[Any], *, surface: str) -> None:
        for index, block in enumerate(blocks):
            self.block(f"{path}[{index}]", block, surface=surface)

    def block(self, path: str, block: Any, *, surface: str) -> None:
        if not isinstance(block, Mapping):
            self.problem(path, "must be a block object")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.string(f"{path}.block_id", block_id, "block_id", required=True)
            if isinstance(block_id, str):
                if block_id in self._block_ids:
                    self.problem(
                        f"{path}.block_id",
                        f"duplicate block_id {block_id!r} (also {self._block_ids[block_id]})",
                    )
                else:
                    self._block_ids[block_id] = path
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.problem(f"{path}.type", f"unknown block type {kind!r}")
            return
        getattr(self, f"_{kind}")(path, block)

    def _header(self, path: str, block: Mapping[str, Any]) -> None:
        self.text(f"{path}.text", block.get("text"), "header", "text")

    def _divider(self, path: str, block: Mapping[str, Any]) -> None:
        return

    def _section(self, path: str, block: Mapping[str, Any]) -> None:
        if block.get("text") is None and block.get("fields") is None:
            self.problem(path, "a section needs text or fields")
        self.text(f"{path}.text", block.get("text"), "section", "text", plain_only=False, required=False)
        fields = self.count(f"{path}.fields", block.get("fields"), "section", "fields", required=False)
        item_max = self.limit("section", "fields", "item_max_length")
        for index, field in enumerate(fields):
            field_path = f"{path}.fields[{index}]"
            before = len(self.problems)
            self.text(field_path, field, plain_only=False)
            text = field.get("text") if isinstance(field, Mapping) else None
            if len(self.problems) == before and isinstance(text, str) and len(text) > item_max:
                self.problem(
                    f"{field_path}.text",
                    f"{len(text)} characters > {item_max} (section.fields.item_max_length)",
                )
        if block.get("accessory") is not None:
            self.element(f"{path}.accessory", block["accessory"], ACCESSORY_ELEMENTS, "a section accessory")

    def _context(self, path: str, block: Mapping[str, Any]) -> None:
        elements = self.count(f"{path}.elements", block.get("elements"), "context", "elements")
        if not elements and isinstance(block.get("elements"), list):
            self.problem(f"{path}.elements", "a context block needs at least one element")
        for index, element in enumerate(elements):
            element_path = f"{path}.elements[{index}]"
            kind = element.get("type") if isinstance(element, Mapping) else None
            if kind == "image":
                self.element(element_path, element, _CONTEXT_ELEMENTS, "a context block")
            elif kind in _CONTEXT_ELEMENTS:
                self.text(element_path, element, plain_only=False)
            else:
                self.problem(f"{element_path}.type", f"not allowed in a context block {kind!r}")

    def _actions(self, path: str, block: Mapping[str, Any]) -> None:
        elements = self.count(f"{path}.elements", block.get("elements"), "actions", "elements")
        if not elements and isinstance(block.get("elements"), list):
            self.problem(f"{path}.elements", "an actions block needs at least one element")
        seen: dict[str, int] = {}
        for index, element in enumerate(elements):
            self.element(f"{path}.elements[{index}]", element, ACTIONS_ELEMENTS, "an actions block")
            action_id = element.get("action_id") if isinstance(element, Mapping) else None
            if isinstance(action_id, str):
                if action_id in seen:
                    self.problem(
                        f"{path}.elements[{index}].action_id",
                        f"duplicate action_id {action_id!r} in this block (also elements[{seen[action_id]}])",
                    )
                else:
                    seen[action_id] = index

    def _input(self, path: str, block: Mapping[str, Any]) -> None:
        self.text(f"{path}.label", block.get("label"), "input", "label")
        self.text(f"{path}.hint", block.get("hint"), "input", "hint", required=False)
        for flag in ("optional", "dispatch_action"):
            if flag in block and not isinstance(block[flag], bool):
                self.problem(f"{path}.{flag}", "must be a boolean")
        if block.get("element") is None:
            self.problem(f"{path}.element", "missing required field")
            return
        self.element(f"{path}.element", block["element"], INPUT_ELEMENTS, "an input block")

    def _image(self, path: str, block: Mapping[str, Any]) -> None:
        self.string(f"{path}.image_url", block.get("image_url"), "image", "image_url", required=True)
        self.string(f"{path}.alt_text", block.get("alt_text"), "image", "alt_text", required=True)
        self.text(f"{path}.title", block.get("title"), "image", "title", required=False)
