"""`python -m bench [NAME ...]`: run the benchmarks (all by default), print PASS/MISS per target,
write bench/results/<UTC time>-<name>.json and exit 1 when any target is missed."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable

from bench.common import BenchResult, machine, say

Runner = Callable[[], BenchResult]


def _ack_latency() -> BenchResult:
    from bench import ack_latency

    return ack_latency.run()


def _invitations() -> BenchResult:
    from bench import invitations

    return invitations.run()


def _directory() -> BenchResult:
    from bench import directory

    return directory.run()


def _submission_ack() -> BenchResult:
    from bench import submission_ack

    return submission_ack.run()


def _invite_search() -> BenchResult:
    from bench import invite_search

    return invite_search.run()


def _app_home() -> BenchResult:
    from bench import app_home

    return app_home.run()


def _scans() -> BenchResult:
    from bench import scans

    return scans.run()


def _mail_relay() -> BenchResult:
    from bench import mail_relay

    return mail_relay.run()


def _type_ahead() -> BenchResult:
    from bench import type_ahead

    return type_ahead.run()


def _user_find() -> BenchResult:
    from bench import user_find

    return user_find.run()


BENCHMARKS: dict[str, Runner] = {
    "ack_latency": _ack_latency,
    "submission_ack": _submission_ack,
    "invite_search": _invite_search,
    "app_home": _app_home,
    "type_ahead": _type_ahead,
    "user_find": _user_find,
    "invitations": _invitations,
    "mail_relay": _mail_relay,
    "directory": _directory,
    "scans": _scans,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run (default: all)"
    )
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    info = machine()
    say(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, Python {info['python']}, "
        f"PostgreSQL {info['postgresql']}, slapd {info['slapd']}"
    )
    results: list[BenchResult] = []
    for name in names:
        say(f"\n== {name}")
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        try:
            result = BENCHMARKS[name]()
        except Exception:
            traceback.print_exc()
            result = BenchResult(name)
            result.check("benchmark ran to the end", 0, ">=", 1)
        result.seconds = time.monotonic() - started
        result.load = (round(load_before, 2), round(os.getloadavg()[0], 2))
        path = result.write()
        for target in result.targets:
            say(f"  {target.line()}")
        say(
            f"  ({result.seconds:.0f} s, load average {result.load[0]:.1f} -> {result.load[1]:.1f} on "
            f"{info['nproc']} CPUs; {path.relative_to(path.parents[2])})"
        )
        results.append(result)
    missed = [r.name for r in results if not r.passed]
    say("\n" + ("MISS: " + ", ".join(missed) if missed else f"all {len(results)} benchmarks PASS"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
