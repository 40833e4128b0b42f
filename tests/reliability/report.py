"""docs/reliability.md from the figures the reliability tests counted in a test run.

    make test                                  # writes test-artifacts/reliability/summary.json
    .venv/bin/python -m tests.reliability.report   # renders it into docs/reliability.md

The run itself also writes test-artifacts/reliability/reliability.md (the same text), so the
figures of any run can be read without touching the documentation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tests.support.paths import PROJECT_ROOT

SUMMARY = PROJECT_ROOT / "test-artifacts" / "reliability" / "summary.json"
DOC = PROJECT_ROOT / "docs" / "reliability.md"

PROVES = {
    "Signatures": (
        "Forged signatures, forged or missing headers, timestamps more than 5 minutes old or ahead, "
        "a genuine signature over an altered or truncated body (hypothesis generates them) get 401; "
        "no row in any table (not even the retry key), no Web API call, no response_url post. The "
        "same bodies correctly signed do act."
    ),
    "Retries and double submits": (
        "Every command, button and modal that changes something, delivered again with "
        "X-Slack-Retry-Num 1 and 2, and every modal submitted a second time (a double click): one "
        "user, one e-mail, one batch, one decision, one card — on SQLite and PostgreSQL for /backup. "
        "The invitation modal's changes (Add, Remove, Remove all, Platform, an address typed), "
        "retried after the person went on working, leave the draft as one left it."
    ),
    "Crash (kill -9) and restart": (
        "`kill -9` of a real `deskops serve` in the middle of a 2,000-invitee batch over SMTP, "
        "then a restart: every invitation delivered, none lost; an e-mail repeated after the "
        "restart has the same Message-ID and link, and repeats are at most the e-mails on their way "
        "at the kill, one per outbox thread."
    ),
    "Outages": (
        "SMTP down (the user card and the batch card say what is wrong; the mail goes out once the "
        "server is back, each message once), LDAP down (said in the modal; search works again), "
        "Slack 429 with Retry-After and 500s (posts wait and are made once; a modal Slack cannot "
        "open is told in words), a private PostgreSQL stopped and restarted (/readyz 503, the "
        "helpdesk told the database is unavailable, everything works after the restart; e-mails "
        "waiting in the outbox when it stopped are sent after it, each once)."
    ),
    "Authorisation matrix": (
        "Every command, message button, modal action, view submission and approval decision tried "
        "by a helpdesk person, an approver who is not helpdesk, another member and a helpdesk "
        "approver who raised the request: allowed cells work; refused cells get the exact refusal "
        "and change nothing (no row, no modal, no e-mail; someone else's modal and draft as they were)."
    ),
    "Hostile input": (
        "LDAP filter characters (property-based against a real slapd), line breaks in addresses "
        "and names, HTML and <!channel> in names (e-mails, pages and Slack cards), any script, "
        "payloads that are not JSON or of any shape (property-based), tampered button values and "
        "private_metadata, oversized command text and field values: clear answers, never a 5xx, "
        "nothing stored half-way."
    ),
    "External probe": (
        "What an outside probe of `deskops serve` found, each finding generalised to its class and "
        "proved over the class: any byte in any header or body of an unverified request (hypothesis), "
        "bodies of any size, random paths and body kinds against /metrics, simultaneous uses of every "
        "single-use link and every unique key on SQLite and PostgreSQL, and what comes back from "
        "outside (private_metadata, look-alike text, passwords, command text, select values, JSON)."
    ),
    "Secrets in logs": (
        "Every log record of the whole suite, as deskops serve formats it and deskops' own raw "
        "messages, and everything the deskops processes the tests start write (serve, replicas, "
        "CLI commands), checked for every secret the tests configured or handed those processes "
        "and every link token deskops derived; a leak fails its test, and one found after the "
        "last test fails the run. These tests prove the check finds planted secrets."
    ),
}


GUARANTEES = [
    "- A request Slack did not sign, signed for another body, signed more than 5 minutes ago, or sent",
    "  again word for word (a replay, without `X-Slack-Retry-Num`) gets 401 and changes nothing; a body",
    "  deskops cannot read gets 401 (400 when correctly signed), never 500 — whatever bytes its headers",
    "  or body hold; nothing of a request deskops has not verified reaches a listener, the error handler,",
    "  a `response_url` or the Web API. Every body is limited (256 KiB) before it is read.",
    '- Every single-use link is used once, and every "do this once" key acts once, under any number of',
    "  simultaneous requests (decided by the database); the others get a clear answer, never a 500.",
    "- A request Slack repeats (`X-Slack-Retry-Num`) acts once: request keys are kept in the database,",
    "  across restarts and replicas. A modal submitted twice (a double click) acts once.",
    "- Every side effect (e-mail, Slack post, platform call) is written to the outbox in the transaction",
    "  of the change. A crash, an SMTP, LDAP or Slack outage, or a database restart loses nothing: the",
    "  outbox retries with backoff, and the claims of a process that died are taken over once their",
    "  lease (`OUTBOX_LEASE_SECONDS`) runs out.",
    "- Each e-mail, Slack post and platform call is recorded as done the moment it is done, so a crash",
    "  repeats none of what was done before it. What no sender can close is the instant between the SMTP",
    "  server accepting an e-mail and deskops recording it: an e-mail accepted in that instant is sent",
    "  again after the restart — with the same Message-ID and the same link (link tokens are derived from",
    "  `SECRET_KEY` and a stored nonce, never drawn anew), so mail systems and people recognise the",
    "  repeat. At most one per outbox thread (`OUTBOX_THREADS`) per crashed process.",
    "- What is wrong is told in words where the helpdesk looks: the user card (an activation e-mail",
    "  not sent yet, and why), the batch card (mail not going out, nothing lost), the modal (directory",
    "  unreachable, a refused field), an ephemeral answer (Slack or the database unavailable, a refusal).",
    "- Only `HELPDESK_USERS` use /backup, /enroll and their buttons and modals; only `APPROVERS` decide",
    "  approval requests, never their own; only the requester cancels one.",
    "- Secrets (tokens, signing secret, passwords, API keys, `SECRET_KEY`, link tokens) never reach the logs.",
]


# The external probe's findings: what was found, how it is fixed, and the test that fails without
# the fix (tests/reliability/test_probe_*.py).
PROBE_FINDINGS = [
    (
        "**Broken:** a non-ASCII byte in `X-Slack-Signature` gave 500, and the error handler then acted "
        "on the unverified body (a POST to its `response_url`, Web API calls with the bot token)",
        "the signature is checked first, on the bytes as they arrived (`hmac.compare_digest` on bytes), "
        "before anything reads the body: 401, one access-log line with the reason, nothing reaches Bolt",
        "`test_probe_unverified`: any header bytes, any body, raw bytes HTTP does not allow; a loopback "
        "`response_url` trap and the Slack emulator receive nothing",
    ),
    (
        "a non-ASCII `Authorization` / `X-Api-Key` on `/api/enrollments` gave 500",
        "the API key compared as bytes",
        "`test_probe_unverified::test_enrollment_callback_any_key_bytes_get_401`",
    ),
    (
        "bodies were read whole before any check (4 x 100 MB: 137 MB to 1,265 MB)",
        "every endpoint's body limited to 256 KiB before it is read: 413 from Content-Length, or "
        "counted as chunks arrive",
        "`test_probe_bodies`: 8 x 100 MB to a served process, its RSS stays flat",
    ),
    (
        "/metrics labels from outsiders (a `route` per unknown path, a `kind` per refused body)",
        "route templates or `other`; Slack kinds from a closed set; refused requests add no label",
        "`test_probe_metrics::test_random_paths_and_body_kinds_add_no_label_values`",
    ),
    (
        "500s missing from the access log and `deskops_http_requests_total`",
        "plain ASGI access log outside every endpoint: logs, counts and answers an exception as 500",
        "`test_probe_metrics::test_a_response_from_an_endpoint_that_raised_is_logged_and_counted`",
    ),
    (
        "activation links not single-use under concurrency (5 of 5 succeeded, the last write won)",
        "spent by a conditional UPDATE (`… WHERE used_at IS NULL`): one wins, the rest see "
        '"already used"; invitation links likewise enroll one device',
        "`test_probe_links`, on SQLite and PostgreSQL",
    ),
    (
        'unique-key races answered 500 / "Something went wrong" (approval request keys, devices; '
        "the same audit found invitation drafts' invitees)",
        "inserted in a savepoint, a violation returning the row the other request inserted; many rows "
        "with `ON CONFLICT DO NOTHING`",
        "`test_probe_races`: 10 callbacks for one device, 5 submissions of one Administrator form, "
        "5 Adds of the same 300 people, on SQLite and PostgreSQL",
    ),
    (
        "`private_metadata` trusted on the second step of Add New User",
        "sealed with an HMAC under `SECRET_KEY` on every view sent, unsealed before any listener; the "
        "second step checks the first step's values again",
        "`test_probe_input::test_private_metadata_changed_on_its_way_is_refused`",
    ),
    (
        "look-alike addresses and names (Cyrillic, full-width, right-to-left override)",
        "NFKC; format characters and mixed-script look-alikes refused with the reason "
        "(confusable_homoglyphs)",
        "`test_probe_input::test_look_alike_addresses_and_names_are_refused_saying_why`",
    ),
    (
        "weak passwords and invalid UTF-8 accepted on the activation page",
        "zxcvbn (score 3 or more) with a translated reason; the form decoded strictly",
        "`test_probe_input::test_weak_passwords_and_bytes_that_are_not_text_are_refused_saying_why`",
    ),
    (
        "NUL in command text, `²` in a select value, JSON 2,040 levels deep",
        "control characters refused in command text; ASCII-only ids; nesting answered 400",
        "`test_probe_input` (three tests)",
    ),
    (
        "public pages framable; SQL parameters in tracebacks; `SECRET_KEY` not scrubbed; text "
        "fallbacks not escaped",
        "`frame-ancestors 'none'` and `X-Frame-Options: DENY`; `hide_parameters=True` and PostgreSQL "
        "key values redacted; every secret setting scrubbed; fallbacks escaped like the blocks",
        "`test_probe_input` (four tests)",
    ),
]


def probe_findings() -> list[str]:
    return [
        "| finding | fix | test |",
        "|---|---|---|",
        *[f"| {finding} | {fix} | {test} |" for finding, fix, test in PROBE_FINDINGS],
        "",
    ]


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def totals(summary: dict[str, Any]) -> dict[str, int]:
    total: dict[str, int] = {}
    for section in summary["sections"].values():
        for name, value in section["figures"].items():
            total[name] = total.get(name, 0) + int(value)
    return total


def render(summary: dict[str, Any]) -> str:
    sections: dict[str, Any] = summary["sections"]
    total = totals(summary)
    scan = summary["secret_scan"]
    tests = sum(s["tests"] for s in sections.values())
    passed = sum(s["passed"] for s in sections.values())
    seconds = sum(s["seconds"] for s in sections.values())
    lines = [
        "# Reliability and security",
        "",
        "<!-- Generated by `python -m tests.reliability.report` from the figures the tests counted"
        " (test-artifacts/reliability/summary.json). Do not edit by hand. -->",
        "",
        f"Test run of {summary['generated_at']} at commit `{summary['commit']}`"
        + (
            " with the long variants (`--long`)"
            if summary.get("long")
            else " (default suite; `--long` adds the long variants)"
        )
        + f": {passed} of {tests} reliability tests passed in {seconds:.0f} s of test time.",
        "",
        "## What deskops guarantees",
        "",
        *GUARANTEES,
        "",
        "Run the suite with `make test` (`PYTEST_ARGS=--long make test` adds the long variants: a",
        "5,000-invitee crash, the crash on PostgreSQL, ten times the property-based examples), then",
        "`.venv/bin/python -m tests.reliability.report` to write this page from that run.",
        "",
        "## In figures",
        "",
        "| | |",
        "|---|---:|",
        f"| requests sent to the app (signed as Slack signs them, or forged) | {_number(total.get('requests sent to the app', 0))} |",
        f"| … refused with 401 | {_number(total.get('requests refused with 401', 0))} |",
        f"| … answered 5xx or not at all | {_number(total.get('answers 5xx or none', 0))} |",
        f"| Slack retries and second submissions sent | {_number(total.get('Slack retries sent', 0) + total.get('second submissions of a view', 0))} |",
        f"| faults injected (SMTP, LDAP, Slack 429/500, PostgreSQL, kill -9) | {_number(total.get('faults injected', 0))} |",
        f"| authorisation cells asserted | {_number(total.get('authorisation cells: allowed and working', 0) + total.get('authorisation cells: refused, nothing changed', 0))} |",
        f"| hostile inputs tried | {_number(total.get('hostile inputs tried', 0) + total.get('LDAP searches with filter characters', 0))} |",
        f"| e-mails delivered twice after kill -9 (same Message-ID and link) | {_number(total.get('e-mails delivered twice (same Message-ID and link)', 0))} |",
        f"| **items lost** | **{_number(total.get('items lost', 0))}** |",
        f"| log records checked for secrets | {_number(scan['records_checked'])} |",
        f"| lines written by deskops processes (serve, replicas, CLI) checked for secrets | {_number(scan.get('process_log_lines_checked', 0))} |",
        f"| secrets known to the check (configured secrets, link tokens, typed passwords) | {_number(scan['secrets_known'])} |",
        f"| **secrets found in logs** | **{len(scan['leaks'])}** |",
        "",
        "## By section",
        "",
    ]
    for name, section in sections.items():
        lines += [
            f"### {name}",
            "",
            PROVES.get(name, ""),
            "",
            f"{section['passed']} of {section['tests']} tests passed"
            + (f", {section['failed']} failed" if section["failed"] else "")
            + f" ({section['seconds']:.1f} s).",
            "",
            "| figure | value |",
            "|---|---:|",
            *[f"| {figure} | {_number(value)} |" for figure, value in sorted(section["figures"].items())],
            "",
            *(probe_findings() if name == "External probe" else []),
        ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", type=Path, default=SUMMARY)
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args()
    summary = json.loads(args.summary.read_text(encoding="utf-8"))
    args.output.write_text(render(summary), encoding="utf-8")
    print(f"wrote {args.output} from {args.summary}")


if __name__ == "__main__":
    main()
