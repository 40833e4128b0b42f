"""Invite search round trip: from a Search click in Send Enrollment Invitation to the updated
modal arriving at the fake Slack, over a 100,000-person OpenLDAP directory, against ldap3 alone
running the same search plus one `views.update` to the same fake.

Processes: slapd (tests/support/slapd.py, loaded with bench/directory_data.py: 100,000 people
and 160 groups, the indexes of the test directory), the fake Slack Web API, `deskops serve` on
PostgreSQL with DIRECTORY_URL at the slapd (profile openldap, bound as an ordinary account), and
this process: the load generator, and the baseline.

- deskops: a signed `block_actions` click of Search (the text and the match mode in the view's
  state, as Slack sends them); timed from the first byte of the request to the arrival of the
  `views.update` it causes at the fake (the listener acks, searches the directory while it
  claims the request and reads the form, renders the modal and calls Slack; the results are
  kept with the draft after that call).
- baseline, in this process: a new ldap3 connection bound as the same account, deskops' own two
  searches (users, then groups: the same filters, attributes and size limit), and one
  `views.update` with the view deskops sent for the same search, through slack_sdk's WebClient;
  timed from the start to the arrival of that call at the fake.

- floor, printed beside (no target): the bare Bolt app (bench.bare_app, the same web server as
  `deskops serve`) answering the same signed click: it acks, runs the same two searches with
  ldap3 on a connection kept between clicks, and sends the view it was clicked in back with one
  `views.update`; timed as deskops is. What any Python Slack app answering this click spends
  (the request read and checked, Bolt's dispatch) and the baseline leaves out.

Eight search texts per mode, one at a time; the sides take turns going first; one warm-up pass.
Targets per mode: p95 ≤ 1.2 x the baseline's p95, and < 500 ms.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bench.common import LOOPBACK, BenchResult, median, percentile, say
from bench.directory_data import company_ldif
from bench.fake_slack import FakeSlackClient, helpdesk_users
from bench.loadgen import IDENTITY, send, signed_interaction, signed_slash_command, trigger_id
from bench.servers import (
    SIGNING_SECRET,
    Server,
    bare_app,
    deskops_environment,
    deskops_serve,
    fake_slack,
    postgres_url,
)
from blocks.enroll.ids import ActionId, BlockId
from bot.integrations.directory.port import MatchMode
from bot.integrations.directory.profiles import PROFILES
from console.models import User
from console.payloads import block_actions, element_action
from console.transport import SlackSender
from console.viewstate import find_action, initial_values, pick_options

NAME = "invite_search"
PEOPLE = 100_000
ROUNDS = 3  # measured passes over the texts, after one warm-up pass
RATIO_TARGET = 1.2
ABSOLUTE_TARGET_MS = 500.0
RESULTS = 8  # what the modal lists (commands/enroll/invite.py)
SIDES = ("deskops", "baseline", "floor")
PG_DATABASE = "deskops_bench_invite_search"
TEXTS = {
    MatchMode.BEGINS_WITH: ("Jo", "Mar", "Sm", "Chr", "Wil", "Ann", "Rob", "Dav"),
    MatchMode.CONTAINS: ("ohn", "son", "mit", "ill", "art", "ber", "ann", "ric"),
}


def _click_search(view: dict[str, Any], text: str, mode: MatchMode, user_id: str) -> dict[str, Any]:
    """The block_actions payload of a Search click with `text` typed and `mode` chosen."""
    blocks = view["blocks"]
    values = initial_values(blocks)
    next(iter(values[BlockId.SEARCH].values()))["value"] = text
    mode_entry = next(iter(values[BlockId.MATCH_MODE].values()))
    _, radio = find_action(blocks, ActionId.MATCH_MODE)
    mode_entry["selected_option"] = pick_options(radio, [mode.value])[0]
    state_view = {**copy.deepcopy(view), "state": {"values": values}}
    block, button = find_action(blocks, ActionId.SEARCH)
    action = element_action(button, str(block["block_id"]), action_ts=f"{time.time():.6f}", selection={})
    return block_actions(
        IDENTITY,
        user=User(id=user_id, name=user_id.lower()),
        trigger_id=trigger_id(),
        actions=[action],
        view=state_view,
    )


class Baseline:
    """ldap3 alone running deskops' search, then one views.update through slack_sdk."""

    def __init__(self, slapd: Any, fake: FakeSlackClient) -> None:
        from tests.support.slapd import READER_DN, READER_PASSWORD

        self.slapd = slapd
        self.credentials = (READER_DN, READER_PASSWORD)
        self.profile = PROFILES["openldap"]
        self.fake = fake
        self.slack = WebClient(token="xoxb-bench-token", base_url=f"http://{LOOPBACK}:{fake.port}/api/")

    def search(self, text: str, mode: MatchMode) -> int:
        from ldap3 import SUBTREE, Connection, Server

        from tests.support.slapd import BASE_DN

        user_filter, group_filter = self.profile.search_filters(text, mode)
        server = Server(self.slapd.host, port=self.slapd.port, get_info="NO_INFO")
        found = 0
        with Connection(
            server, user=self.credentials[0], password=self.credentials[1], auto_bind=True
        ) as conn:
            for search_filter, attributes in (
                (user_filter, self.profile.user_attributes),
                (group_filter, self.profile.group_attributes),
            ):
                conn.search(BASE_DN, search_filter, SUBTREE, attributes=attributes, size_limit=RESULTS + 1)
                found += len(conn.response or [])
        return found

    def round_trip(self, text: str, mode: MatchMode, view: dict[str, Any], view_id: str) -> float:
        before = self.fake.calls("views.update")
        started = time.time()
        if not self.search(text, mode):
            raise RuntimeError(f"ldap3 found nobody for {text!r} ({mode})")
        self.slack.views_update(view_id=view_id, view=view)
        return (self.fake.arrival("views.update", before + 1) - started) * 1000


def _click_round_trip(
    server: Server,
    sender: SlackSender,
    fake: FakeSlackClient,
    view: dict[str, Any],
    text: str,
    mode: MatchMode,
) -> tuple[float, dict[str, Any]]:
    """A signed Search click at `server`, timed to the arrival of the `views.update` it causes."""
    before = fake.calls("views.update")
    payload = _click_search(view, text, mode, helpdesk_users(1)[0])
    answer = send(server.port, signed_interaction(sender, port=server.port, payload=payload))
    if answer.status != 200:
        raise RuntimeError(
            f"{server.name} answered the Search click with {answer.status}: {answer.body[:200]!r}"
        )
    arrived = fake.arrival("views.update", before + 1)
    updated = fake.params("views.update")["view"]
    if ActionId.ADD_USER.value not in str(updated):
        raise RuntimeError(f"{server.name}'s modal lists nobody for {text!r} ({mode})")
    return (arrived - answer.sent_at) * 1000, updated


def _open_invite(server: Server, sender: SlackSender, fake: FakeSlackClient) -> dict[str, Any]:
    before = fake.calls("views.open")
    request = signed_slash_command(
        sender,
        port=server.port,
        user_id=helpdesk_users(1)[0],
        command="/enroll",
        text="invite",
        response_url=f"http://{LOOPBACK}:{fake.port}/response/invite",
    )
    answer = send(server.port, request)
    if answer.status != 200:
        raise RuntimeError(f"deskops answered /enroll invite with {answer.status}: {answer.body[:200]!r}")
    fake.arrival("views.open", before + 1)
    view = fake.params("views.open")["view"]
    return {
        **view,
        "id": f"V{uuid.uuid4().hex[:10].upper()}",
        "hash": uuid.uuid4().hex,
        "team_id": IDENTITY.team_id,
    }


def _slapd_folder(ldif: str, workdir: Path) -> Path:
    """Where slapd keeps its database: for a big directory, a folder kept between runs and named
    after the LDIF (loading 100,000 entries with their indexes takes slapadd half a minute, and
    the bench only reads), else in the run's work folder."""
    if len(ldif) < 1_000_000:
        folder = workdir / "slapd"
    else:
        digest = hashlib.sha256(ldif.encode()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / "deskops-bench-cache" / f"slapd-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run(*, people: int = PEOPLE, rounds: int = ROUNDS, database: str = PG_DATABASE) -> BenchResult:
    from tests.support.slapd import READER_DN, READER_PASSWORD, Slapd, base_ldif

    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-search-"))
    sender = SlackSender(SIGNING_SECRET)
    samples: dict[tuple[str, MatchMode], list[float]] = {}
    with ExitStack() as stack:
        started = time.monotonic()
        ldif = base_ldif() + company_ldif(people)
        folder = _slapd_folder(ldif, workdir)
        slapd = stack.enter_context(Slapd(folder, ldif))
        say(
            f"  slapd with {people:,} people up in {time.monotonic() - started:.0f} s on port {slapd.port} "
            f"({folder})"
        )
        fake = stack.enter_context(fake_slack(workdir))
        env = deskops_environment(
            fake.port,
            workdir,
            postgres_url(database),
            DIRECTORY_URL=slapd.url,
            DIRECTORY_BIND_DN=READER_DN,
            DIRECTORY_BIND_PASSWORD=READER_PASSWORD,
            DIRECTORY_PROFILE="openldap",
            ENROLLMENT_SERVER="access.bench.example",
        )
        log = workdir / "deskops.log"
        from bench.servers import deskops_cli

        deskops_cli(env, log, ["db", "upgrade"])
        server = stack.enter_context(deskops_serve("deskops serve (postgresql)", env, log))
        view = _open_invite(server, sender, fake)
        baseline = Baseline(slapd, fake)
        floor_env = {
            **deskops_environment(fake.port, workdir, f"sqlite:///{workdir / 'bare.db'}"),
            "BARE_DIRECTORY_URL": slapd.url,
            "BARE_DIRECTORY_BIND_DN": READER_DN,
            "BARE_DIRECTORY_BIND_PASSWORD": READER_PASSWORD,
            "BARE_DIRECTORY_LIMIT": str(RESULTS),
        }
        floor = stack.enter_context(bare_app(workdir, floor_env))
        views: dict[tuple[str, MatchMode], dict[str, Any]] = {}
        say(f"  {rounds} passes over {sum(len(t) for t in TEXTS.values())} searches (+1 warm-up pass)")
        for number in range(rounds + 1):
            for mode, texts in TEXTS.items():
                for index, text in enumerate(texts):
                    key = (text, mode)
                    # deskops first when the view it answers with is not known yet (the others send it).
                    turn = (number + index) % len(SIDES) if key in views else 0
                    timed: dict[str, float] = {}
                    for side in SIDES[turn:] + SIDES[:turn]:
                        if side == "deskops":
                            timed[side], views[key] = _click_round_trip(
                                server, sender, fake, view, text, mode
                            )
                        elif side == "floor":
                            clicked = {**views[key], "id": view["id"], "team_id": IDENTITY.team_id}
                            timed[side], _ = _click_round_trip(floor, sender, fake, clicked, text, mode)
                        else:
                            timed[side] = baseline.round_trip(text, mode, views[key], view["id"])
                    if number == 0:
                        continue  # warm-up
                    for side, milliseconds in timed.items():
                        samples.setdefault((side, mode), []).append(milliseconds)
    _report(result, samples, people)
    return result


def _report(result: BenchResult, samples: dict[tuple[str, MatchMode], list[float]], people: int) -> None:
    figures: dict[str, Any] = {"people": people, "texts": {m.value: list(t) for m, t in TEXTS.items()}}
    for mode in TEXTS:
        ours, theirs, floor = (samples[(side, mode)] for side in SIDES)
        p95, base_p95, floor_p95 = percentile(ours, 95), percentile(theirs, 95), percentile(floor, 95)
        figures[mode.value] = {
            "searches": len(ours),
            "deskops_p50_ms": round(median(ours), 1),
            "deskops_p95_ms": round(p95, 1),
            "baseline_p50_ms": round(median(theirs), 1),
            "baseline_p95_ms": round(base_p95, 1),
            "p95_ratio": round(p95 / base_p95, 2),
            "floor_p50_ms": round(median(floor), 1),
            "floor_p95_ms": round(floor_p95, 1),
            "p95_ratio_to_floor": round(p95 / floor_p95, 2),
        }
        say(
            f"  {mode.value:12} deskops p50 {median(ours):6.1f} ms p95 {p95:6.1f} ms;  ldap3 + views.update "
            f"p50 {median(theirs):6.1f} ms p95 {base_p95:6.1f} ms;  {p95 / base_p95:.2f} x ({len(ours)} searches)"
        )
        say(
            f"  {'':12} bare Bolt app answering the click (floor) p50 {median(floor):6.1f} ms p95 "
            f"{floor_p95:6.1f} ms;  deskops {p95 / floor_p95:.2f} x the floor (no target)"
        )
        result.check(
            f"{mode.value}: deskops p95 / ldap3 + views.update p95", p95 / base_p95, "<=", RATIO_TARGET, "x"
        )
        result.check(f"{mode.value}: deskops p95", p95, "<", ABSOLUTE_TARGET_MS, " ms")
    result.figures = figures
