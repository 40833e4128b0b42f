"""Directory: expanding a 10,000-member OpenLDAP group, against `ldapsearch` returning the same
members.

The bench starts its own slapd (tests/support/slapd.py) on a free loopback port, loaded with
`bulk_ldif(10_000)`: 10,000 inetOrgPersons and one groupOfNames holding them all, a size limit
of 500 for ordinary accounts that paged searches may page past (as Active Directory lets them).
Both sides bind as the same ordinary account:

- deskops: `LdapDirectory.expand_group` (profile openldap), every member read to the end;
- baseline: one `ldapsearch` (paged, 500 a page) returning the group's `member` values and every
  member entry with the attributes deskops asks for - what any client has to fetch.

A third side shows what the library deskops must use can do at best: ldap3 alone running the
baseline's search (paged, 500 a page) and reading every entry, nothing more.

They alternate for a few rounds; each side's figure is its median. Target (issue 20): ≤ 1.2 x
ldap3 alone, the floor of the library deskops uses. The ratio to ldapsearch (C, libldap: the
physical limit) is printed beside it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchResult, median, say

NAME = "directory"
MEMBERS = 10_000
ROUNDS = 5
RATIO_TARGET = 1.2  # x ldap3 alone


def run(*, members: int = MEMBERS, rounds: int = ROUNDS) -> BenchResult:
    from bot.integrations.directory.factory import build_directory
    from bot.integrations.directory.profiles import PROFILES
    from tests.support.slapd import (
        BASE_DN,
        BULK_GROUP_DN,
        READER_DN,
        READER_PASSWORD,
        Slapd,
        base_ldif,
        bulk_ldif,
    )

    result = BenchResult(NAME)
    ldapsearch = shutil.which("ldapsearch")
    if ldapsearch is None:
        raise RuntimeError("ldapsearch is not installed: apt-get install ldap-utils (make system-deps)")
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-ldap-"))
    profile = PROFILES["openldap"]
    attributes = list(dict.fromkeys([*profile.user_attributes, *profile.group_attributes, "member"]))
    command = [
        ldapsearch,
        *("-LLL", "-x", "-o", "ldif-wrap=no", "-E", "pr=500/noprompt"),
        *("-D", READER_DN, "-w", READER_PASSWORD),
        "-b",
        BASE_DN,
        f"(|(&(objectClass=groupOfNames)(entryDN={BULK_GROUP_DN}))(objectClass=inetOrgPerson))",
        *attributes,
    ]
    deskops_seconds: list[float] = []
    baseline_seconds: list[float] = []
    ldap3_seconds: list[float] = []
    started = time.monotonic()
    paging = f'limits dn.exact="{READER_DN}" size.prtotal=unlimited'
    with Slapd(workdir, base_ldif() + bulk_ldif(members), database_lines=[paging]) as slapd:
        say(f"  slapd with {members:,} members up in {time.monotonic() - started:.1f} s on port {slapd.port}")
        command[command.index("-b") : command.index("-b")] = ["-H", f"ldap://{slapd.host}:{slapd.port}"]
        directory = build_directory(
            slapd.url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap", timeout=30
        )
        for number in range(rounds + 1):
            began = time.perf_counter()
            found = sum(1 for _ in directory.expand_group(BULK_GROUP_DN))
            mine = time.perf_counter() - began
            began = time.perf_counter()
            output = subprocess.run(command, capture_output=True, check=True, timeout=120).stdout
            theirs = time.perf_counter() - began
            began = time.perf_counter()
            read_by_ldap3 = _ldap3_alone(slapd, command)
            alone = time.perf_counter() - began
            entries = output.count(b"\ndn: ") + output.startswith(b"dn: ")
            members_listed = output.count(b"\nmember: ")
            if (
                found != members
                or entries != members + 1
                or members_listed != members
                or read_by_ldap3 != entries
            ):
                raise RuntimeError(
                    f"expected {members:,} members: deskops found {found:,}, ldapsearch returned "
                    f"{entries:,} entries listing {members_listed:,} members"
                )
            if number == 0:
                continue  # warm-up: slapd's caches, the first connection
            deskops_seconds.append(mine)
            baseline_seconds.append(theirs)
            ldap3_seconds.append(alone)
            say(
                f"    round {number}: deskops {mine:.3f} s, ldapsearch {theirs:.3f} s, ldap3 alone {alone:.3f} s"
            )
    ours, baseline, floor = median(deskops_seconds), median(baseline_seconds), median(ldap3_seconds)
    say(f"  deskops {ours:.3f} s, ldapsearch {baseline:.3f} s: {ours / baseline:.2f} x")
    say(
        f"  ldap3 alone {floor:.3f} s ({floor / baseline:.2f} x ldapsearch); deskops {ours / floor:.2f} x ldap3 alone"
    )
    result.check("expand_group / ldap3 alone wall time", ours / floor, "<=", RATIO_TARGET, "x")
    result.figures = {
        "members": members,
        "deskops_seconds": round(ours, 3),
        "ldapsearch_seconds": round(baseline, 3),
        "ratio": round(ours / baseline, 2),
        "ldap3_alone_seconds": round(floor, 3),
        "ldap3_alone_ratio": round(floor / baseline, 2),
        "deskops_over_ldap3_alone": round(ours / floor, 2),
        "rounds": {
            "deskops": [round(s, 3) for s in deskops_seconds],
            "ldapsearch": [round(s, 3) for s in baseline_seconds],
            "ldap3_alone": [round(s, 3) for s in ldap3_seconds],
        },
        "ldapsearch_command": " ".join(c if c != READER_PASSWORD else "***" for c in command),
    }
    return result


def _ldap3_alone(slapd: Any, command: list[str]) -> int:
    """ldap3 running ldapsearch's search: how many entries it read."""
    from ldap3 import SUBTREE, Connection, Server

    from tests.support.slapd import BASE_DN, READER_DN, READER_PASSWORD

    search_filter = command[command.index(BASE_DN) + 1]
    attributes = command[command.index(BASE_DN) + 2 :]
    server = Server(slapd.host, port=slapd.port, get_info="NO_INFO")
    with Connection(server, user=READER_DN, password=READER_PASSWORD, auto_bind=True, read_only=True) as conn:
        return sum(
            1
            for item in conn.extend.standard.paged_search(
                BASE_DN, search_filter, SUBTREE, attributes=attributes, paged_size=500, generator=True
            )
            if item.get("type") == "searchResEntry"
        )
