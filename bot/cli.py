"""The bot's commands: serve, migrate, import customers, read the audit trail, check the set-up.

The installed `deskops` program is `deskops.cli`: these plus `deskops console`, which starts the
Slack emulator of `console/` (and so cannot live in `bot/`, which never imports it)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.config import ConfigError, Settings, load_settings
from bot.db import Database
from bot.installation import shadowing_problems, version

EXIT_CONFIG = 2
EXIT_FAILED = 1


def load_or_exit() -> Settings:
    """The settings, or every configuration problem printed and exit status 2."""
    try:
        return load_settings()
    except ConfigError as error:
        print("deskops cannot start: the configuration has problems:", file=sys.stderr)
        for line in error.problems:
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from bot.migrations import upgrade

    settings = load_or_exit()
    upgrade(settings.database_url)
    print(f"database is up to date ({_display_url(settings.database_url)})")
    return 0


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _database(settings: Settings) -> Database:
    from bot.migrations import schema_is_current

    db = Database(settings.database_url)
    if not schema_is_current(db):
        print("the database schema is not current: run `deskops db upgrade` first", file=sys.stderr)
        raise SystemExit(EXIT_FAILED)
    return db


def cmd_customers_import(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.customers.service import ImportError_, customer_count, import_customers, parse_customer_file

    settings = load_or_exit()
    db = _database(settings)
    path = Path(args.file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"cannot read {path}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except yaml.YAMLError as error:
        print(f"{path} is not valid YAML: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        document = parse_customer_file(data)
    except ImportError_ as error:
        print(f"{path} cannot be imported:\n{error}", file=sys.stderr)
        return EXIT_FAILED
    with db.transaction() as session:
        if args.if_empty and customer_count(session) > 0:
            print("customers already present; nothing imported")
            return 0
        report = import_customers(session, document, now=utcnow(), actor="cli")
    print(
        f"imported {path}: {report.created} customers created, {report.updated} updated, "
        f"{report.subscriptions_added} subscriptions added"
    )
    return 0


def cmd_users_import(args: argparse.Namespace) -> int:
    from bot.cli_users import import_users

    settings = load_or_exit()
    return import_users(_database(settings), settings, Path(args.file), args.customer)


def cmd_customers_sync(_: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.customers.sync import sync_customers
    from bot.integrations.backup.factory import build_platform
    from bot.integrations.backup.port import PlatformError

    settings = load_or_exit()
    db = _database(settings)
    platform = build_platform(settings)
    if platform.name == "local":
        print("BACKUP_PROVIDER=local keeps customers in deskops: use `deskops customers import FILE.yaml`")
        return 0
    try:
        report = sync_customers(db, platform, now=utcnow(), actor="cli")
    except PlatformError as error:
        print(f"customers not synced: {error}", file=sys.stderr)
        return EXIT_FAILED
    for line in report.lines():
        print(line)
    return 0


def cmd_customers_list(_: argparse.Namespace) -> int:
    from bot.customers.service import customer_summaries

    db = _database(load_or_exit())
    with db.read() as session:
        for customer in customer_summaries(session):
            print(f"{customer.name}: {', '.join(s.name for s in customer.subscriptions)}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.audit.service import recent_events

    db = _database(load_or_exit())
    with db.read() as session:
        events = list(reversed(recent_events(session, limit=args.limit, actor=args.actor)))
        for event in events:
            if args.json:
                print(
                    json.dumps(
                        {
                            "id": event.id,
                            "at": event.created_at.isoformat(),
                            "actor": event.actor,
                            "action": event.action,
                            "target": event.target,
                            "details": event.details,
                        }
                    )
                )
            else:
                details = " ".join(f"{k}={v}" for k, v in event.details.items())
                print(
                    f"{event.created_at:%Y-%m-%d %H:%M:%S} {event.actor:<12} {event.action:<26} "
                    f"{event.target} {details}".rstrip()
                )
    if not events and not args.json:
        print("no audit events yet")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import CheckResult, report_json, run_checks
    from bot.logs import RedactingFormatter
    from bot.serve import secrets_of

    if not args.json:
        results = run_checks(load_or_exit())
        for result in results:
            print(result.line())
        return 0 if all(r.ok for r in results) else EXIT_FAILED
    try:
        settings = load_settings()
    except ConfigError as error:
        problems = [CheckResult("configuration", False, line) for line in error.problems]
        print(report_json(problems, version=version(), redact=RedactingFormatter("%(message)s").redact))
        return EXIT_CONFIG
    results = run_checks(settings)
    redactor = RedactingFormatter("%(message)s", secrets_of(settings))
    print(report_json(results, version=version(), redact=redactor.redact))
    return 0 if all(r.ok for r in results) else EXIT_FAILED


def cmd_digest(args: argparse.Namespace) -> int:
    """The daily digest of the last day, printed (--preview) or posted to DIGEST_CHANNEL now (--send)."""
    from bot.slack.digest_command import preview_digest, send_digest

    settings = load_or_exit()
    db = _database(settings)
    if args.send:
        return send_digest(settings, db)
    print(preview_digest(settings, db), end="")
    return 0


def cmd_manifest(_: argparse.Namespace) -> int:
    """app.yaml with PUBLIC_URL filled in (and Socket Mode switched on with SLACK_APP_TOKEN)."""
    from bot.resources import manifest_file

    settings = load_or_exit()
    manifest = manifest_file().read_text(encoding="utf-8")
    manifest = manifest.replace("https://deskops.example.com", settings.public_url)
    if settings.slack_app_token is not None:
        manifest = manifest.replace("socket_mode_enabled: false", "socket_mode_enabled: true")
    if not settings.public_url.startswith("https://") and settings.slack_app_token is None:
        print(
            f"note: PUBLIC_URL {settings.public_url} is not HTTPS; Slack only sends events to HTTPS "
            "addresses (or set SLACK_APP_TOKEN for Socket Mode)",
            file=sys.stderr,
        )
    print(manifest, end="")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(load_or_exit(), host=args.host, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    return build_parser_with_commands()[0]


def build_parser_with_commands() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[Any]]:
    """The parser and its subcommands, for the `deskops` program to add its own to."""
    parser = argparse.ArgumentParser(prog="deskops", description="Slack chat-ops bot for the MSP helpdesk")
    parser.add_argument("--version", action="version", version=f"deskops {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (Slack events, pages, health, metrics)")
    serve.add_argument("--host", default=None, help="address to listen on (default HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, default=None, help="port (default PORT or 3000)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)

    customers = sub.add_parser("customers", help="customers and subscriptions")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True)
    imp = customers_sub.add_parser("import", help="create or update customers from a YAML file")
    imp.add_argument("file")
    imp.add_argument("--if-empty", action="store_true", help="only when there are no customers yet")
    imp.set_defaults(func=cmd_customers_import)
    customers_sub.add_parser(
        "sync", help="create or update customers and subscriptions from the backup platform"
    ).set_defaults(func=cmd_customers_sync)
    customers_sub.add_parser("list", help="list customers and subscriptions").set_defaults(
        func=cmd_customers_list
    )

    users = sub.add_parser("users", help="backup users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    users_import = users_sub.add_parser(
        "import", help="create backup users from a CSV file, as /backup import does"
    )
    users_import.add_argument("file")
    users_import.add_argument("--customer", help="the customer (may be left out when there is only one)")
    users_import.set_defaults(func=cmd_users_import)

    audit = sub.add_parser("audit", help="print the audit trail (oldest first)")
    audit.add_argument("--limit", type=int, default=100)
    audit.add_argument("--actor", help="only events by this Slack user id")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(func=cmd_audit)

    digest = sub.add_parser("digest", help="the daily digest of the last day")
    digest_mode = digest.add_mutually_exclusive_group(required=True)
    digest_mode.add_argument("--preview", action="store_true", help="print it here")
    digest_mode.add_argument("--send", action="store_true", help="post it to DIGEST_CHANNEL now")
    digest.set_defaults(func=cmd_digest)

    doctor = sub.add_parser("doctor", help="check configuration and every integration")
    doctor.add_argument("--json", action="store_true", help="one JSON document, for monitoring")
    doctor.set_defaults(func=cmd_doctor)
    sub.add_parser("manifest", help="print the Slack app manifest for PUBLIC_URL").set_defaults(
        func=cmd_manifest
    )
    return parser, sub


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse and run one command; an unreachable database is one line naming DATABASE_URL."""
    from sqlalchemy.exc import OperationalError

    from bot.unreachable import database_unreachable, is_unreachable

    args = parser.parse_args(argv)
    problems = shadowing_problems()
    if problems:
        print("deskops cannot start: its packages are not its own:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_CONFIG
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130
    except OperationalError as error:
        if not is_unreachable(error):
            raise
        print(f"deskops: {database_unreachable(error, load_or_exit().database_url)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
