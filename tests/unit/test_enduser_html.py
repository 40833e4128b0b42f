"""Every e-mail and page end users receive is valid HTML by a maintained checker (html-validate,
tests/htmlcheck): e-mails by the recommended rules less what mail clients need, pages by all."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.enduser import LANGUAGES, render_emails, render_pages
from tests.support.paths import PROJECT_ROOT

CHECKER = PROJECT_ROOT / "tests" / "htmlcheck"
HTML_VALIDATE = CHECKER / "node_modules" / ".bin" / "html-validate"


def problems(files: list[Path], config: str) -> list[str]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the HTML checker"
    assert HTML_VALIDATE.exists(), "the HTML checker is not installed: run `make htmlcheck`"
    # The report goes to a file: Node may exit before a large report has gone through a pipe.
    output = files[0].with_name("report.json")
    result = subprocess.run(
        [
            node,
            str(HTML_VALIDATE),
            "--config",
            str(CHECKER / config),
            "--formatter",
            f"json={output}",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert output.exists(), result.stderr
    report = json.loads(output.read_text(encoding="utf-8") or "[]")
    return [
        f"{Path(entry['filePath']).name}:{m['line']}:{m['column']} {m['ruleId']}: {m['message']}"
        for entry in report
        for m in entry["messages"]
    ]


def test_emails_are_valid_html(tmp_path: Path) -> None:
    files = []
    for language in LANGUAGES:
        for name, email in render_emails(language).items():
            path = tmp_path / f"{language}-{name.replace(' ', '_')}.html"
            path.write_text(email.html, encoding="utf-8")
            files.append(path)
    assert problems(files, "email.htmlvalidate.json") == []


def test_pages_are_valid_html(tmp_path: Path) -> None:
    files = []
    for language in LANGUAGES:
        for name, page in render_pages(language).items():
            path = tmp_path / f"{language}-{name.replace(' ', '_')}.html"
            path.write_text(page.html, encoding="utf-8")
            files.append(path)
    assert problems(files, "pages.htmlvalidate.json") == []


def test_the_checker_finds_broken_html(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p><div></p></body></html>'
    )
    assert problems([broken], "email.htmlvalidate.json")
