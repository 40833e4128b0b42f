"""The `deskops` command: the bot's commands (`bot.cli`) plus `deskops console`.

It lives outside `bot/` because starting the console means starting the emulator in `console/`,
which the bot itself must never import."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot import cli as bot_cli


def cmd_console(args: argparse.Namespace) -> int:
    from deskops.offline import run_console

    return run_console(bot_cli.load_or_exit(), port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser, commands = bot_cli.build_parser_with_commands()
    console = commands.add_parser(
        "console",
        help="the offline Slack console on 127.0.0.1: a demo, sample customers in an empty database",
    )
    console.add_argument("--port", type=int, default=None, help="port (default PORT or 3000)")
    console.set_defaults(func=cmd_console)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return bot_cli.run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
