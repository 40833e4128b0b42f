"""What the emulated Slack knows of the app's configuration, read from its manifest (app.yaml): the
global shortcuts people may use, and whether select menus of an external data source can load.

The manifest's URLs are placeholders for the real deployment: the emulator sends every request to
`events_url` (and options requests to `options_url`, when set apart), as an app configured with
those URLs would receive them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class GlobalShortcut:
    callback_id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class AppConfig:
    # Global shortcuts (features.shortcuts, `type: global`), by callback_id: only these appear in
    # the person's shortcuts menu ("Global shortcuts are available to users via the shortcuts button
    # in the message composer, and when using search" — docs.slack.dev/interactivity/implementing-shortcuts).
    global_shortcuts: Mapping[str, GlobalShortcut] = field(default_factory=dict)
    # settings.interactivity.message_menu_options_url (the "Options Load URL" of Interactivity &
    # Shortcuts, api.slack.com/reference/manifests#settings): without it Slack sends no options
    # request and an external select offers nothing. An app that never loaded a manifest is
    # taken to have one (tests of a bare Bolt app).
    options_load_url: bool = True

    @classmethod
    def from_manifest(cls, path: str | Path) -> AppConfig:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a Slack app manifest is a mapping")
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, manifest: Mapping[str, Any]) -> AppConfig:
        features = manifest.get("features") or {}
        shortcuts = {
            str(s["callback_id"]): GlobalShortcut(
                str(s["callback_id"]), str(s["name"]), str(s.get("description", ""))
            )
            for s in features.get("shortcuts") or []
            if s.get("type") == "global"
        }
        interactivity = (manifest.get("settings") or {}).get("interactivity") or {}
        enabled = bool(interactivity.get("is_enabled"))
        return cls(
            global_shortcuts=shortcuts,
            options_load_url=enabled and bool(interactivity.get("message_menu_options_url")),
        )
