"""The `deskops` command: the bot's commands (`bot.cli`) plus `deskops console`, and `deskops
serve` falling back to the offline console when no Slack workspace is configured.

It lives outside `bot/` because starting the console means starting the emulator in `console/`,
which the bot itself must never import."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot import cli as bot_cli
from bot.serve import serve


def cmd_serve(args: argparse.Namespace) -> int:
    from deskops.offline import serve_console

    settings = bot_cli.load_or_exit()
    if not settings.slack_configured:
        return serve_console(settings, host=args.host, port=args.port)
    return serve(settings, host=args.host, port=args.port)


def cmd_console(args: argparse.Namespace) -> int:
    from deskops.offline import serve_console

    return serve_console(bot_cli.load_or_exit(), host=args.host, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser, commands = bot_cli.build_parser_with_commands()
    commands.choices["serve"].set_defaults(func=cmd_serve)
    console = commands.add_parser(
        "console", help="the bot with the offline Slack console on 127.0.0.1 (no Slack workspace needed)"
    )
    console.add_argument("--host", default=None, help=argparse.SUPPRESS)
    console.add_argument("--port", type=int, default=None, help="port (default PORT or 3000)")
    console.set_defaults(func=cmd_console)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return bot_cli.run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
