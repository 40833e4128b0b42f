"""What this installation of deskops is: its version, and a check that its top-level packages are
its own.

deskops installs the top-level packages `bot`, `commands`, `blocks` (and `console`), names short
enough that another distribution could ship one too. pip would then let the two overwrite each
other's files in site-packages, or the other one would be imported first, and deskops would run
someone else's code. Rather than rename the packages (the repository's layout is the contract,
DESIGN.md §2), every `deskops` command checks at start-up that each of them is owned by the
deskops distribution alone and is imported from where that distribution put it, and refuses to
start otherwise, naming the culprit.
"""

from __future__ import annotations

import importlib.util
import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

DISTRIBUTION = "deskops"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed: run `make install` or `pip install` the wheel)"


def _installed_at(dist: metadata.Distribution, package: str) -> Path | None:
    """Where the distribution put `package/__init__.py`: from its RECORD (a wheel install), else the
    source folder of an editable install (direct_url.json)."""
    for file in dist.files or ():
        if file.parts == (package, "__init__.py"):
            return Path(str(dist.locate_file(file))).resolve()
    direct_url = dist.read_text("direct_url.json")
    if direct_url:
        info = json.loads(direct_url)
        if info.get("dir_info", {}).get("editable") and str(info.get("url", "")).startswith("file:"):
            return (Path(unquote(urlsplit(info["url"]).path)) / package / "__init__.py").resolve()
    return None


def own_packages(dist: metadata.Distribution) -> list[str]:
    listed = dist.read_text("top_level.txt") or ""
    return sorted({line.strip() for line in listed.splitlines() if line.strip()})


def shadowing_problems() -> list[str]:
    """One line per top-level package of deskops that another distribution or folder provides too."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return []  # run from a bare source tree: nothing is installed that could clash
    owners = metadata.packages_distributions()
    problems = []
    for package in own_packages(dist):
        others = sorted({name for name in owners.get(package, []) if name.lower() != DISTRIBUTION})
        if others:
            problems.append(
                f"the top-level package `{package}` is also installed by {', '.join(others)}; "
                f"install deskops in a virtual environment of its own"
            )
            continue
        expected = _installed_at(dist, package)
        spec = importlib.util.find_spec(package)
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if expected is not None and origin != expected:
            problems.append(
                f"`{package}` is imported from {origin or 'nowhere'}, not from deskops ({expected}): "
                f"a folder or module named {package} on the Python path (PYTHONPATH, the current "
                "folder) shadows it"
            )
    return problems
