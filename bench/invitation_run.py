"""One side of the invitation-throughput benchmark, in a process of its own; prints one JSON line.

    python -m bench.invitation_run raw COUNT SMTP_PORT
        smtplib alone: the same COUNT messages (rendered beforehand, untimed) over one connection.
    python -m bench.invitation_run app COUNT SMTP_PORT DATABASE_URL SLACK_API_URL
        deskops: a draft of COUNT invitees (untimed), then Send (send_batch, as the listener calls
        it) and the outbox worker of this process delivering every invitation e-mail.

Times are seconds since the epoch, so the bench can compare them with the sink's. The app side
also reports this process's resident memory just before Send and at its peak (sampled every 10 ms).
"""

from __future__ import annotations

import gc
import json
import smtplib
import sys
import threading
import time
from typing import Any

from bench.common import LOOPBACK, rss_bytes, wait_until

MAIL_FROM = "helpdesk@msp.example"
OWNER = "U0BENCH00"
CHANNEL = "C0BENCH1"
SECRET_KEY = "bench-secret-key-for-link-tokens-0123456789"


def invitee(number: int) -> tuple[str, str, str, str]:
    """(directory id, account name, display name, e-mail) of invitee `number`."""
    account = f"bulk{number:05d}"
    return (
        f"uid={account},ou=bulk,dc=example,dc=com",
        account,
        f"Bulk User {number:05d}",
        f"{account}@example.com",
    )


def _settings(smtp_port: int, database_url: str, slack_api_url: str, **overrides: Any) -> Any:
    from bot.config import load_settings

    return load_settings(
        database_url=database_url,
        smtp_url=f"smtp://{LOOPBACK}:{smtp_port}?timeout=30",
        mail_from=MAIL_FROM,
        public_url="https://helpdesk.msp.example",
        enrollment_server="access.msp.example",
        secret_key=SECRET_KEY,
        slack_bot_token="xoxb-bench-token",
        slack_signing_secret="bench-signing-secret",
        slack_api_url=slack_api_url,
        scheduler_enabled=False,
        _env_file=None,
        **overrides,
    )


def run_raw(count: int, smtp_port: int) -> dict[str, Any]:
    from bot.enrollment.links import EnrollmentLinks, invitation_with_qr
    from bot.enrollment.models import PlatformChoice
    from bot.integrations.mail.message import build_mime, to_bytes
    from bot.integrations.mail.render import MailRenderer
    from bot.tokens import LinkTokens, new_nonce

    settings = _settings(smtp_port, "sqlite://", "http://127.0.0.1:9/api/")
    links = EnrollmentLinks.from_settings(settings)
    renderer = MailRenderer.from_settings(settings)
    tokens = LinkTokens(SECRET_KEY.encode())
    expires = time.time() + 7 * 86400
    from datetime import UTC, datetime

    messages: list[tuple[str, bytes]] = []
    for number in range(count):
        _, account, name, email = invitee(number)
        nonce = new_nonce()
        token = tokens.token("invitation", nonce)
        context = links.email_context(
            token,
            display_name=name,
            platform=PlatformChoice.IOS,
            username=account,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
        rendered = invitation_with_qr(
            renderer.render_email(
                "enrollment_invitation",
                to=email,
                context=context,
                message_id=f"invitation-{number + 1}-{nonce}",
            ),
            links.landing_url(token),
        )
        messages.append((email, to_bytes(build_mime(rendered, MAIL_FROM))))
    cpu = time.process_time()
    started = time.time()
    connection = smtplib.SMTP(LOOPBACK, smtp_port, local_hostname="bench.local", timeout=30)
    for to, data in messages:
        connection.sendmail(MAIL_FROM, [to], data)
    connection.quit()
    return {
        "started": started,
        "finished": time.time(),
        "cpu_seconds": time.process_time() - cpu,
        "bytes": sum(len(d) for _, d in messages),
    }


class PeakMemory:
    """The highest resident set size of this process while running (sampled)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def run_app(count: int, smtp_port: int, database_url: str, slack_api_url: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot.enrollment.batches import send_batch
    from bot.enrollment.drafts import add_invitees, start_draft
    from bot.enrollment.models import BatchState, Invitation, InvitationBatch, InviteDraft, PlatformChoice
    from bot.integrations.directory.port import DirectoryUser
    from bot.logs import configure_logging
    from bot.outbox.service import pending_count
    from bot.wiring import build_deps, build_service

    settings = _settings(smtp_port, database_url, slack_api_url)
    configure_logging(settings.log_level)
    deps = build_deps(settings)
    service = build_service(deps)
    people = (
        DirectoryUser(id, account, name, "Bulk", name[5:], email)
        for id, account, name, email in map(invitee, range(count))
    )
    with deps.db.transaction() as session:
        draft = start_draft(session, owner=OWNER, channel_id=CHANNEL, now=deps.clock.now())
        add_invitees(session, draft, people, source="Bulk Recipients", now=deps.clock.now())
        draft_id = draft.id
    service.worker.start()
    gc.collect()
    before = rss_bytes()
    with PeakMemory() as memory:
        cpu = time.process_time()
        started = time.time()
        with deps.db.transaction() as session:
            fresh = session.get(InviteDraft, draft_id)
            assert fresh is not None
            batch = send_batch(
                session,
                draft=fresh,
                days=7,
                platform=PlatformChoice.IOS,
                actor=OWNER,
                now=deps.clock.now(),
                tokens=deps.tokens,
            )
            batch_id = batch.id

        def delivered() -> bool:
            with deps.db.read() as session:
                done = session.get(InvitationBatch, batch_id)
                return done is not None and done.state is BatchState.DONE and pending_count(session) == 0

        wait_until(delivered, timeout=60 + count / 20, what="the batch to be sent", interval=0.25)
        finished = time.time()
        cpu = time.process_time() - cpu
    with deps.db.read() as session:
        states = dict(
            session.execute(
                select(Invitation.state, func.count())
                .where(Invitation.batch_id == batch_id)
                .group_by(Invitation.state)
            ).all()
        )
    service.stop_background()
    deps.db.dispose()
    return {
        "started": started,
        "finished": finished,
        "cpu_seconds": cpu,
        "rss_before": before,
        "rss_peak": memory.peak,
        "states": {str(state): int(n) for state, n in states.items()},
    }


def main(argv: list[str]) -> int:
    mode, count, port = argv[0], int(argv[1]), int(argv[2])
    result = run_raw(count, port) if mode == "raw" else run_app(count, port, argv[3], argv[4])
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
