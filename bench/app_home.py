"""App Home: publishing the Home tab for a person with 1,000 of each kind of pending item, timed
from the `app_home_opened` event leaving Slack to the `views.publish` arriving at the fake Slack.

deskops runs on PostgreSQL with approvals on and the person an approver. Generated inside
PostgreSQL (INSERT … SELECT generate_series) for that person: `ITEMS` approval requests by a
colleague waiting for their decision, `ITEMS` requests of their own waiting for someone else,
`ITEMS` invitations expiring within the reminder window, `ITEMS` users pending activation (each
with an activation e-mail sent), and `ITEMS` of their own recent actions in the audit trail.

Baseline, in the same run: the bare Bolt app (bench.bare_app) publishing the view deskops
published, read once - what Bolt and one `views.publish` of that view cost with no database
and no rendering. The two alternate, one event at a time, after a few warm-up events.

Target: p95 < 300 ms (the ratio to the bare app is printed beside it).
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.common import BenchResult, median, percentile, say
from bench.fake_slack import FakeSlackClient, helpdesk_users
from bench.loadgen import IDENTITY, send, signed_event
from bench.servers import (
    SIGNING_SECRET,
    Server,
    bare_app,
    deskops_environment,
    deskops_serve,
    fake_slack,
    postgres_url,
    prepare_database,
)
from console.payloads import app_home_opened
from console.transport import SlackSender

NAME = "app_home"
ITEMS = 1_000
EVENTS = 40  # measured per side, after WARM_UP
WARM_UP = 3
ABSOLUTE_TARGET_MS = 300.0
PG_DATABASE = "deskops_bench_app_home"
APPROVALS_CHANNEL = "C0BENCH9"

# Each takes %(now)s, %(person)s, %(colleague)s; {items} is the count.
STATEMENTS = [
    """INSERT INTO approval_requests (kind, payload, summary, details, customer_id, requester,
        channel_id, request_key, state, created_at, expires_at, reminders_sent)
    SELECT 'administrator', '{{}}'::json, 'Create Administrator Admin ' || g || ' (admin' || g || '@acme.example) for Acme',
        ('[["Email", "admin' || g || '@acme.example"]]')::json, (SELECT min(id) FROM customers),
        CASE WHEN g <= {items} THEN %(colleague)s ELSE %(person)s END, 'C0BENCH1',
        'bench-home-' || g, 'pending', %(now)s - g * interval '1 minute', %(now)s + interval '2 days', 0
    FROM generate_series(1, 2 * {items}) AS g""",
    """INSERT INTO backup_users (customer_id, first_name, last_name, email, email_key, role, status,
        provisioning, created_by, created_at)
    SELECT (SELECT min(id) FROM customers), 'Pending', 'User ' || g, 'pending' || g || '@acme.example',
        'pending' || g || '@acme.example', 'user', 'pending_activation', 'done', %(person)s,
        %(now)s - g * interval '1 hour'
    FROM generate_series(1, {items}) AS g""",
    """INSERT INTO activation_tokens (user_id, token_hash, nonce, created_at, expires_at)
    SELECT id, md5('home' || id), md5('nonce' || id), created_at, created_at + interval '7 days'
    FROM backup_users WHERE status = 'pending_activation'""",
    """INSERT INTO invitation_batches (created_by, created_at, channel_id, platform, days, expires_at,
        invitees, invitations, state, request_key, finished_at)
    VALUES (%(person)s, %(now)s - interval '6 days', 'C0BENCH1', 'ios', 7, %(now)s + interval '1 day',
        {items}, {items}, 'done', 'bench-home-batch', %(now)s - interval '6 days')""",
    """INSERT INTO invitations (batch_id, display_name, username, email, email_key, platform,
        token_hash, nonce, state, created_at, expires_at, sent_at)
    SELECT (SELECT max(id) FROM invitation_batches), 'Invitee ' || g, 'invitee' || g,
        'invitee' || g || '@acme.example', 'invitee' || g || '@acme.example', 'ios',
        md5('invitation' || g), md5('n' || g), 'sent', %(now)s - interval '6 days',
        %(now)s + (g::float / {items} * 24) * interval '1 hour', %(now)s - interval '6 days'
    FROM generate_series(1, {items}) AS g""",
    """INSERT INTO audit_events (actor, action, target, details, customer_id, created_at)
    SELECT %(person)s, 'user.created', 'user' || g || '@acme.example', '{{}}'::json, (SELECT min(id) FROM customers),
        %(now)s - g * interval '1 minute'
    FROM generate_series(1, {items}) AS g""",
]


def seed(database: str, *, person: str, colleague: str, items: int) -> float:
    """The person's pending items; seconds it took."""
    started = time.monotonic()
    dsn = f"host=127.0.0.1 port=5432 dbname={database} user=postgres"
    values = {"now": datetime.now(UTC), "person": person, "colleague": colleague}
    with psycopg.connect(dsn, autocommit=True) as connection:
        for statement in STATEMENTS:
            connection.execute(statement.format(items=items), values)
        connection.execute("VACUUM (ANALYZE)")
    return time.monotonic() - started


def _open_home(server: Server, sender: SlackSender, fake: FakeSlackClient, person: str) -> tuple[float, int]:
    """(milliseconds from the event leaving to views.publish arriving, the view's size in bytes)."""
    before = fake.calls("views.publish")
    envelope = app_home_opened(
        IDENTITY,
        user_id=person,
        channel_id="D0BENCH1",
        view=None,
        event_id=f"Ev{uuid.uuid4().hex[:12].upper()}",
        event_time=int(time.time()),
        event_ts=f"{time.time():.6f}",
    )
    answer = send(server.port, signed_event(sender, port=server.port, envelope=envelope))
    if answer.status != 200:
        raise RuntimeError(
            f"{server.name} answered app_home_opened with {answer.status}: {answer.body[:200]!r}"
        )
    arrived = fake.arrival("views.publish", before + 1)
    return (arrived - answer.sent_at) * 1000, len(json.dumps(fake.params("views.publish").get("view", {})))


def run(*, items: int = ITEMS, events: int = EVENTS, database: str = PG_DATABASE) -> BenchResult:
    result = BenchResult(NAME)
    workdir = Path(tempfile.mkdtemp(prefix="deskops-bench-home-"))
    sender = SlackSender(SIGNING_SECRET)
    person, colleague = helpdesk_users(2)
    with ExitStack() as stack:
        fake = stack.enter_context(fake_slack(workdir))
        url = postgres_url(database)
        env = deskops_environment(
            fake.port, workdir, url, APPROVALS_CHANNEL=APPROVALS_CHANNEL, APPROVERS=f"{person},{colleague}"
        )
        prepare_database(env, workdir / "deskops.log")
        seconds = seed(database, person=person, colleague=colleague, items=items)
        say(f"  {items:,} of each pending item for {person} generated in {seconds:.1f} s")
        deskops = stack.enter_context(
            deskops_serve("deskops serve (postgresql)", env, workdir / "deskops.log")
        )
        _, size = _open_home(deskops, sender, fake, person)
        home_view = workdir / "home_view.json"
        home_view.write_text(json.dumps(fake.params("views.publish")["view"]), encoding="utf-8")
        bare = stack.enter_context(bare_app(workdir, env, home_view=home_view))
        say(
            f"  the Home view is {size:,} bytes; {events} events to each side (+{WARM_UP} warm-up), alternating"
        )
        for number in range(WARM_UP + events):
            order = (deskops, bare) if number % 2 == 0 else (bare, deskops)
            for server in order:
                milliseconds, _ = _open_home(server, sender, fake, person)
                if number >= WARM_UP:
                    server.samples.append(milliseconds)
    _report(result, deskops, bare, items=items, view_bytes=size)
    return result


def _report(result: BenchResult, deskops: Server, bare: Server, *, items: int, view_bytes: int) -> None:
    figures: dict[str, object] = {"items_of_each_kind": items, "view_bytes": view_bytes}
    for server in (bare, deskops):
        p50, p95 = median(server.samples), percentile(server.samples, 95)
        figures[server.name] = {
            "events": len(server.samples),
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
        }
        say(f"  {server.name:28} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    ratio = percentile(deskops.samples, 95) / percentile(bare.samples, 95)
    figures["p95_ratio"] = round(ratio, 2)
    say(f"  deskops p95 {ratio:.2f} x the bare app's")
    result.check(
        f"{deskops.name} Home published, p95", percentile(deskops.samples, 95), "<", ABSOLUTE_TARGET_MS, " ms"
    )
    result.figures = figures
