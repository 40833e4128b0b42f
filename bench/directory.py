"""Directory: expanding a 10,000-member OpenLDAP group, against `ldapsearch` returning the same
members.

The bench starts its own slapd (tests/support/slapd.py) on a free loopback port, loaded with
`bulk_ldif(10_000)`: 10,000 inetOrgPersons and one groupOfNames holding them all, a size limit
of 500 for ordinary accounts that paged searches may page past (as Active Directory lets them).
Both sides bind as the same ordinary account:

- deskops: `LdapDirectory.expand_group` (profile openldap), every member read to the end;
- baseline: one `ldapsearch` (paged, 500 a page) returning the group's `member` values and every
  member entry with the attributes deskops asks for - what any client has to fetch.

They alternate for a few rounds; each side's figure is its median. Target: ≤ 1.5 x ldapsearch.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import BenchResult, median, say

NAME = "directory"
MEMBERS = 10_000
ROUNDS = 5
RATIO_TARGET = 1.5


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
            entries = output.count(b"\ndn: ") + output.startswith(b"dn: ")
            members_listed = output.count(b"\nmember: ")
            if found != members or entries != members + 1 or members_listed != members:
                raise RuntimeError(
                    f"expected {members:,} members: deskops found {found:,}, ldapsearch returned "
                    f"{entries:,} entries listing {members_listed:,} members"
                )
            if number == 0:
                continue  # warm-up: slapd's caches, the first connection
            deskops_seconds.append(mine)
            baseline_seconds.append(theirs)
            say(f"    round {number}: deskops {mine:.3f} s, ldapsearch {theirs:.3f} s")
    ours, baseline = median(deskops_seconds), median(baseline_seconds)
    say(f"  deskops {ours:.3f} s, ldapsearch {baseline:.3f} s: {ours / baseline:.2f} x")
    result.check("expand_group / ldapsearch wall time", ours / baseline, "<=", RATIO_TARGET, "x")
    result.figures = {
        "members": members,
        "deskops_seconds": round(ours, 3),
        "ldapsearch_seconds": round(baseline, 3),
        "ratio": round(ours / baseline, 2),
        "rounds": {
            "deskops": [round(s, 3) for s in deskops_seconds],
            "ldapsearch": [round(s, 3) for s in baseline_seconds],
        },
        "ldapsearch_command": " ".join(c if c != READER_PASSWORD else "***" for c in command),
    }
    return result
