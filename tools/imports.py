"""The project's import graph, read from the source with `ast` (nothing is imported or run).

Every `import` counts wherever it is written: at the top of a module, inside a function (where a
cycle would otherwise hide), or under `TYPE_CHECKING`. An import of a name from a package counts
as an import of that submodule when the name is one, else of the package itself."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("deskops", "console", "bot", "commands", "blocks")


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        """The package a relative import in this module starts from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def find_modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            name = ".".join(parts)
            found[name] = Module(name, path, is_package)
    return found


def imports_of(module: Module, modules: Mapping[str, Module]) -> set[str]:
    """The project modules one module imports (itself excluded)."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    targets: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(_resolve(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.package.split(".")
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else _resolve(base, modules))
    targets.discard(None)
    targets.discard(module.name)
    return {t for t in targets if t is not None}


def external_imports(module: Module, modules: Mapping[str, Module]) -> set[str]:
    """The top-level names of what the module imports from outside the project (`slack_sdk`…)."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {n.partition(".")[0] for n in names if _resolve(n, modules) is None}


def _resolve(name: str, modules: Mapping[str, Module]) -> str | None:
    """The project module a dotted name lives in (None outside the project)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: Mapping[str, Module] | None = None) -> dict[str, set[str]]:
    """module -> the project modules it imports."""
    modules = modules if modules is not None else find_modules()
    return {name: imports_of(module, modules) for name, module in modules.items()}


def external_graph(modules: Mapping[str, Module] | None = None) -> dict[str, set[str]]:
    """module -> the outside packages it imports."""
    modules = modules if modules is not None else find_modules()
    return {name: external_imports(module, modules) for name, module in modules.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
