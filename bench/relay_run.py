"""One replica of the mail-relay benchmark, in a process of its own; prints one JSON line.

    python -m bench.relay_run send COUNT SMTP_PORT DATABASE_URL SLACK_API_URL RATE MAX_CONNECTIONS
        a draft of COUNT invitees (untimed), then Send, and this replica's outbox worker
    python -m bench.relay_run worker COUNT SMTP_PORT DATABASE_URL SLACK_API_URL RATE MAX_CONNECTIONS
        only the outbox worker (a second replica on the same database)

RATE is SMTP_RATE_PER_MINUTE (0: unlimited), MAX_CONNECTIONS is SMTP_MAX_CONNECTIONS. Each exits
once the batch is done and nothing waits in the outbox.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.common import wait_until
from bench.invitation_run import CHANNEL, OWNER, _settings, invitee

OUTBOX_THREADS = 2


def _batch_done(deps: Any) -> bool:
    from sqlalchemy import select

    from bot.enrollment.models import BatchState, InvitationBatch
    from bot.outbox.service import pending_count

    with deps.db.read() as session:
        states = session.scalars(select(InvitationBatch.state)).all()
        return bool(states) and all(s is BatchState.DONE for s in states) and pending_count(session) == 0


def _send(deps: Any, count: int) -> None:
    from bot.enrollment.batches import send_batch
    from bot.enrollment.drafts import add_invitees, start_draft
    from bot.enrollment.models import PlatformChoice
    from bot.integrations.directory.port import DirectoryUser

    people = (
        DirectoryUser(id_, account, name, "Bulk", name[5:], email)
        for id_, account, name, email in map(invitee, range(count))
    )
    with deps.db.transaction() as session:
        draft = start_draft(session, owner=OWNER, channel_id=CHANNEL, now=deps.clock.now())
        add_invitees(session, draft, people, source="Bulk Recipients", now=deps.clock.now())
        send_batch(
            session,
            draft=draft,
            days=7,
            platform=PlatformChoice.IOS,
            actor=OWNER,
            now=deps.clock.now(),
            tokens=deps.tokens,
        )


def run(
    mode: str, count: int, port: int, url: str, slack: str, rate: int, connections: int
) -> dict[str, Any]:
    from bot.logs import configure_logging
    from bot.wiring import build_deps, build_service

    settings = _settings(
        port,
        url,
        slack,
        smtp_rate_per_minute=rate or None,
        smtp_max_connections=connections,
        outbox_threads=OUTBOX_THREADS,
    )
    configure_logging(settings.log_level)
    deps = build_deps(settings)
    service = build_service(deps, poll_interval=0.1)
    service.worker.start()
    started = time.time()
    if mode == "send":
        _send(deps, count)
    wait_until(lambda: _batch_done(deps), timeout=600, what="the batch to be sent", interval=0.25)
    finished = time.time()
    service.stop_background()
    deps.db.dispose()
    return {"mode": mode, "started": started, "finished": finished}


def main(argv: list[str]) -> int:
    mode, count, port, url, slack, rate, connections = argv[:7]
    result = run(mode, int(count), int(port), url, slack, int(rate), int(connections))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
