"""Charts of every recorded run: `python -m bench.charts` reads bench/results/*.json and writes
docs/performance/<benchmark>.svg, one chart per benchmark with a line per target, and prints the
latest run of each benchmark as a Markdown table (for docs/performance.md).

Each point is the run's figure divided by its target (for an "at least" target, the target
divided by the figure), so every target is met at or below 1, whatever its unit: the reader
sees at a glance how far each run was from the line, and the trend. Targets that only count
failures (a limit of 0) are left out of the charts; the table shows them. Plain SVG written
here, no plotting library.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from bench.common import PROJECT_ROOT, RESULTS

CHARTS = PROJECT_ROOT / "docs" / "performance"
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 40, 96
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def load_runs(folder: Path = RESULTS) -> dict[str, list[dict[str, Any]]]:
    """Every recorded run, by benchmark, oldest first."""
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(folder.glob("*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(run, dict) and "name" in run and "targets" in run:
            runs[str(run["name"])].append(run)
    for recorded in runs.values():
        recorded.sort(key=lambda run: str(run.get("finished_at", "")))
    return dict(runs)


def share_of_target(target: dict[str, Any]) -> float | None:
    """The figure over its target, ≤ 1 when met; None for a count of failures (limit 0)."""
    value, limit = float(target["value"]), float(target["limit"])
    if limit == 0:
        return None
    if target["comparison"] == ">=":
        return limit / value if value > 0 else float("inf")
    return value / limit


def _series(runs: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    names: list[str] = []
    for run in runs:
        for target in run["targets"]:
            if share_of_target(target) is not None and target["name"] not in names:
                names.append(target["name"])
    series: dict[str, list[float | None]] = {name: [] for name in names}
    for run in runs:
        shares = {t["name"]: share_of_target(t) for t in run["targets"]}
        for name in names:
            series[name].append(shares.get(name))
    return series


def _label(run: dict[str, Any]) -> str:
    finished = datetime.fromisoformat(str(run["finished_at"]))
    load = run.get("load_average") or {}
    busy = f" load {load.get('before', 0):.0f}-{load.get('after', 0):.0f}" if load else ""
    return f"{finished:%d %b %H:%M} {str(run.get('commit', ''))[:7]}{busy}"


def chart(name: str, runs: list[dict[str, Any]]) -> str:
    """The SVG of one benchmark's runs."""
    series = _series(runs)
    finite = [v for values in series.values() for v in values if v is not None and v != float("inf")]
    top = max(1.5, *(v * 1.1 for v in finite)) if finite else 1.5
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + (plot_w * (index + 0.5) / len(runs))

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold">{escape(name)}</text>',
        f'<text x="{LEFT}" y="30" fill="#555">figure ÷ target per run (at most 1 meets it; '
        f"for an &#8220;at least&#8221; target, target ÷ figure)</text>",
    ]
    for step in range(int(top / 0.5) + 1):
        value = step * 0.5
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{"#333" if value == 1 else "#ddd"}" stroke-width="{1.5 if value == 1 else 1}"'
            f"{' stroke-dasharray=' + chr(34) + '6 3' + chr(34) if value == 1 else ''}/>"
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
    for index, run in enumerate(runs):
        parts.append(
            f'<text transform="translate({x(index) + 4:.1f},{HEIGHT - BOTTOM + 8}) rotate(60)" '
            f'fill="#555" font-size="10">{escape(_label(run))}</text>'
        )
    for number, (target, values) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        legend_y = TOP + 4 + number * 14
        parts.append(
            f'<rect x="{WIDTH - RIGHT - 250}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 236}" y="{legend_y + 1}" font-size="10">{escape(target[:48])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def latest_table(runs: dict[str, list[dict[str, Any]]]) -> str:
    """The latest run of each benchmark, one row per target."""
    lines = ["| benchmark | target | figure | limit | verdict | run |", "|---|---|---|---|---|---|"]
    for name, recorded in runs.items():
        run = recorded[-1]
        for target in run["targets"]:
            verdict = "PASS" if target["passed"] else "**MISS**"
            lines.append(
                f"| {name} | {target['name']} | {target['value']:.3g}{target['unit']} | "
                f"{target['comparison']} {target['limit']:g}{target['unit']} | {verdict} | {_label(run)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of recorded runs")
    parser.add_argument("--out", type=Path, default=CHARTS, help="folder the SVG charts go to")
    args = parser.parse_args(argv)
    runs = load_runs(args.results)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, recorded in runs.items():
        path = args.out / f"{name}.svg"
        path.write_text(chart(name, recorded), encoding="utf-8")
        print(f"{path}: {len(recorded)} runs")
    print()
    print(latest_table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
