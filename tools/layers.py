"""The layers of DESIGN.md §2 as data, and the check that the imports run one way down them.

A module belongs to the first layer (top to bottom) with a prefix that names it or a package it
is in. A module may import its own layer and the layers below; every other import is a
violation, as is a module no layer names, and any import cycle (between modules, or between the
packages of one layer, e.g. two domains importing each other).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tools.imports import cycles


@dataclass(frozen=True)
class Layer:
    name: str
    prefixes: tuple[str, ...]
    what: str
    packages_only: tuple[str, ...] = ()  # package modules (__init__) that are here, not their contents


# Top to bottom. `deskops` composes the bot and the console; the two never import each other.
LAYERS: tuple[Layer, ...] = (
    Layer("program", ("deskops",), "the `deskops` program: the bot, and the offline console around it"),
    Layer(
        "console", ("console",), "the Slack emulator and its browser console; knows the bot only over HTTP"
    ),
    Layer(
        "composition",
        ("bot.cli", "bot.cli_users", "bot.serve", "bot.wiring", "bot.app", "bot.doctor", "bot.models"),
        "entry and the one composition root: builds the app, registers handlers, executors, jobs",
    ),
    Layer("listeners", ("commands",), "Slack listeners: payload -> typed command -> one service call"),
    Layer("entry points", ("bot.web", "bot.scheduler"), "pages, callbacks and jobs"),
    Layer("dependencies", ("bot.deps",), "what listeners and entry points are handed"),
    Layer("slack", ("bot.slack",), "cards and messages rendered with blocks/, their outbox handlers"),
    Layer("builders", ("blocks",), "Block Kit builders: pure functions from domain values"),
    Layer(
        "domains",
        (
            "bot.accounts",
            "bot.enrollment",
            "bot.approvals",
            "bot.reminders",
            "bot.digest",
            "bot.customers",
            "bot.audit",
        ),
        "models, services that own their transaction, domain errors",
    ),
    Layer("outbox", ("bot.outbox",), "the transactional outbox and its worker"),
    Layer(
        "integrations",
        ("bot.integrations", "bot.mailrelay"),
        "adapters behind ports: backup platform, directory, mail (and the relay's pacing around it)",
    ),
    Layer(
        "ground",
        (
            "bot.config",
            "bot.db",
            "bot.errors",
            "bot.clock",
            "bot.tokens",
            "bot.validation",
            "bot.logs",
            "bot.migrations",
            "bot.unreachable",
            "bot.sample",
            "bot.i18n",
            "bot.resources",
            "bot.installation",
        ),
        "configuration, database, errors, clock and other ground-floor helpers",
        packages_only=("bot",),
    ),
)

# Layers that are side by side rather than one above the other: neither imports the other.
APART = frozenset({("console", "composition")})


def _names(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    """The index of the module's layer in LAYERS (0 is the top), None when no layer names it.

    A module directly in `bot/` that no layer names is on the ground floor (a helper such as
    `bot.clock`): the rules then hold it to importing nothing above. A package must be named."""
    for index, layer in enumerate(LAYERS):
        if module in layer.packages_only or any(_names(module, prefix) for prefix in layer.prefixes):
            return index
    if module.count(".") == 1 and module.startswith("bot."):
        return len(LAYERS) - 1
    return None


def unit_of(module: str) -> str:
    """The package of its layer a module belongs to (`bot.accounts.models` -> `bot.accounts`)."""
    index = layer_of(module)
    if index is None:
        return module
    return max((p for p in LAYERS[index].prefixes if _names(module, p)), key=len, default=module)


def _allowed(source: int, target: int) -> bool:
    if source > target:
        return False
    pair = (LAYERS[source].name, LAYERS[target].name)
    if pair in APART or pair[::-1] in APART:
        return False
    # the console sits above the bot in the list only to be below `deskops`: it imports none of it
    return not (LAYERS[source].name == "console" and target > source)


@dataclass(frozen=True)
class Violation:
    source: str
    target: str
    why: str

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}: {self.why}"


def violations(graph: Mapping[str, set[str]]) -> list[Violation]:
    found: list[Violation] = []
    for source in sorted(graph):
        source_layer = layer_of(source)
        if source_layer is None:
            found.append(Violation(source, "-", "in no layer of tools/layers.py"))
            continue
        for target in sorted(graph[source]):
            target_layer = layer_of(target)
            if target_layer is None or _allowed(source_layer, target_layer):
                continue
            why = f"{LAYERS[source_layer].name} may not import {LAYERS[target_layer].name}"
            found.append(Violation(source, target, why))
    return found


# Libraries a layer must not use: the domain and everything under it knows nothing of Slack,
# builders nothing of the database or of Bolt, listeners no SQL.
FORBIDDEN_LIBRARIES: Mapping[str, frozenset[str]] = {
    "listeners": frozenset({"sqlalchemy"}),
    "builders": frozenset({"sqlalchemy", "slack_bolt"}),
    "domains": frozenset({"slack_bolt", "slack_sdk"}),
    "outbox": frozenset({"slack_bolt", "slack_sdk"}),
    "integrations": frozenset({"slack_bolt", "slack_sdk"}),
    "ground": frozenset({"slack_bolt", "slack_sdk"}),
}


def library_violations(externals: Mapping[str, set[str]]) -> list[Violation]:
    found: list[Violation] = []
    for source in sorted(externals):
        index = layer_of(source)
        if index is None:
            continue
        layer = LAYERS[index].name
        for library in sorted(externals[source] & FORBIDDEN_LIBRARIES.get(layer, frozenset())):
            found.append(Violation(source, library, f"{layer} may not use {library}"))
    return found


# Layers whose packages are each a whole (a domain, an adapter) that must not lean on another
# that leans back on it; the ground floor is a set of small helpers, checked per module only.
WHOLE_PACKAGES = frozenset({"domains", "integrations", "entry points"})


def unit_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Cycles between the packages of one layer (`bot.enrollment` <-> `bot.approvals`)."""
    units: dict[str, set[str]] = {}
    for source, targets in graph.items():
        index = layer_of(source)
        if index is None or LAYERS[index].name not in WHOLE_PACKAGES:
            continue
        here = unit_of(source)
        units.setdefault(here, set())
        for target in targets:
            there = unit_of(target)
            if there != here and layer_of(source) == layer_of(target):
                units[here].add(there)
    return cycles(units)
