"""The layers of DESIGN.md §2 hold: imports run one way down, the bot never imports the console,
and there is no import cycle. `tools/layers.py` says which module is in which layer."""

from __future__ import annotations

from tools.diagram import DOCUMENT, mermaid, rewritten
from tools.imports import Module, cycles, external_graph, find_modules, import_graph
from tools.layers import LAYERS, library_violations, unit_cycles, violations

# Imports that still run the wrong way, each to be removed by moving code to its layer (the
# card-rendering outbox handlers to bot/slack/, the backup port's own types, request keys of
# the domain's own); the test fails when one is gone and still listed, so this list only shrinks.
NOT_YET_IN_THEIR_LAYER: frozenset[str] = frozenset()


def test_imports_run_down_the_layers() -> None:
    found = {str(v) for v in violations(import_graph()) + library_violations(external_graph())}
    assert sorted(found - NOT_YET_IN_THEIR_LAYER) == []
    assert sorted(NOT_YET_IN_THEIR_LAYER - found) == [], "now in its layer: take it off the list"


def test_there_is_no_import_cycle() -> None:
    graph = import_graph()
    assert cycles(graph) == []
    assert unit_cycles(graph) == []


def test_the_bot_never_imports_the_console_and_the_console_nothing_of_the_bot() -> None:
    graph = import_graph()
    application = ("bot", "commands", "blocks")
    for source, targets in graph.items():
        if source.partition(".")[0] in application:
            assert not {t for t in targets if t.partition(".")[0] in ("console", "deskops")}, source
        if source.partition(".")[0] == "console":
            assert not {t for t in targets if t.partition(".")[0] != "console"}, source


def test_the_diagram_in_docs_is_the_codes() -> None:
    """docs/architecture.md shows the layers as the imports connect them today."""
    text = DOCUMENT.read_text(encoding="utf-8")
    assert rewritten(text, mermaid(import_graph())) == text, "run `python -m tools.diagram`"


def test_the_check_sees_what_it_must_refuse(tmp_path: object) -> None:
    """A domain importing a builder, the bot importing the console, a cycle hidden in a function,
    a module in no layer: each is found (so the checks above cannot pass by seeing nothing)."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    files = {
        "bot/__init__.py": "",
        "bot/accounts/__init__.py": "",
        "bot/accounts/service.py": "from blocks.home import home_view\n",
        "bot/serve.py": "def run():\n    from console.emulator import SlackEmulator\n",
        "bot/stray/__init__.py": "",
        "bot/stray/helper.py": "",
        "blocks/__init__.py": "",
        "blocks/home.py": "def home_view():\n    from blocks import cards\n",
        "blocks/cards.py": "from blocks.home import home_view\n",
        "console/__init__.py": "",
        "console/emulator.py": "import slack_sdk\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    modules: dict[str, Module] = find_modules(tmp_path, ("bot", "blocks", "console"))
    graph = import_graph(modules)
    found = {str(v) for v in violations(graph)}
    assert "bot.accounts.service -> blocks.home: domains may not import builders" in found
    assert "bot.serve -> console.emulator: composition may not import console" in found
    assert "bot.stray.helper -> -: in no layer of tools/layers.py" in found
    assert cycles(graph) == [["blocks.cards", "blocks.home"]]
    assert LAYERS[0].name == "program"
