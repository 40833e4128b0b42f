"""Outages of what deskops depends on: the SMTP server, the directory (LDAP), the Slack Web API
(429 with Retry-After, 500s) and PostgreSQL (stopped, restarted). Work waits and resumes by
itself, nothing is lost or doubled, and the helpdesk is told in words what is wrong."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from console import SlackEmulator
from console.models import Message
from tests.e2e.backup_flows import add_user_with_backup, open_add_user
from tests.e2e.enroll_flows import invite_group, open_invite, search
from tests.reliability.conftest import SQLITE_ONLY
from tests.reliability.helpers import emails
from tests.support.app import RunningApp, run_app
from tests.support.private_postgres import PrivatePostgres
from tests.support.reliability import Figures
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk
from tests.support.slapd import READER_DN, READER_PASSWORD, Slapd, require_slapd, standard_ldif
from tests.support.smtp_sink import MakeSmtpSink, SmtpSink

pytestmark = pytest.mark.backup_provider("local")
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def later(app: RunningApp, clock: ManualClock, minutes: int = 2) -> None:
    """Let the time for the next attempt come (the outbox backs off 5 s, 10 s, 20 s…), once no
    delivery is under way: moving the clock past the lease of a row being delivered would let a
    second worker take it over, as it rightly does when a worker hangs longer than its lease."""
    deadline = time.monotonic() + 10
    while any(status == "sending" for _, status, _ in app.outbox_rows()) and time.monotonic() < deadline:
        time.sleep(0.02)
    clock.advance(timedelta(minutes=minutes))
    app.service.worker.wake()


def card_of(emulator: SlackEmulator, text: str, *, timeout: float = 10) -> Message:
    return emulator.channel(HELPDESK_CHANNEL).wait_for_message(
        lambda m: text in m.all_text(), timeout=timeout
    )


@pytest.fixture
def smtp_app(
    slack_emulator: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
    figures: Figures,
) -> Iterator[tuple[RunningApp, SmtpSink, ManualClock]]:
    sink = make_smtp_sink()
    clock = ManualClock(START)
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path, clock=clock, smtp_url=sink.url) as app:
        yield app, sink, clock


@SQLITE_ONLY
def test_smtp_down_holds_the_mail_says_why_and_sends_it_once_it_is_back(
    smtp_app: tuple[RunningApp, SmtpSink, ManualClock], slack_emulator: SlackEmulator, figures: Figures
) -> None:
    app, sink, clock = smtp_app
    helen = slack_emulator.person(HELPDESK_USER)
    add_user_with_backup(helen, "Globex", email="john.doe@example.com")
    app.wait_for_outbox()
    sink.stop()
    figures.add("faults injected")
    down = f"the SMTP server 127.0.0.1:{sink.port} refused the connection"

    helen.click(slack_emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
    slack_emulator.wait_until(lambda: down in str(app.outbox_rows()))  # the first attempt failed
    clock.advance(timedelta(seconds=2))  # the card is refreshed a second after the failed attempt
    user_card = card_of(slack_emulator, "the activation e-mail is not sent yet")
    assert down in user_card.all_text() and "check the host and port in SMTP_URL" in user_card.all_text()

    invite_group(helen, "Sales")
    batch_card = card_of(slack_emulator, "Mail is not going out")
    assert down in batch_card.all_text() and "Nothing is lost" in batch_card.all_text()
    assert sink.messages == []

    sink.restart()
    deadline = time.monotonic() + 20
    while len(sink.messages) < 5 and time.monotonic() < deadline:
        later(app, clock, minutes=30)  # each attempt backs off further: move past the next one
        time.sleep(0.2)
    app.wait_for_outbox()
    card_of(slack_emulator, "4 invitations sent")
    card_of(slack_emulator, "Pending activation (e-mail sent")
    assert "not sent yet" not in slack_emulator.channel(HELPDESK_CHANNEL).messages()[0].all_text()
    ids = [str(m["Message-ID"]) for m in sink.messages]
    assert len(ids) == 5 and len(set(ids)) == 5  # 4 invitations and 1 activation e-mail, each once
    posted = [m.all_text()[:120] for m in slack_emulator.channel(HELPDESK_CHANNEL).messages()]
    assert len(posted) == 2, posted  # both cards updated in place
    figures.add("items lost", 0)
    figures.add("e-mails held during the outage and sent after it", 5)


@SQLITE_ONLY
def test_ldap_down_is_told_in_the_modal_and_search_works_again(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> None:
    require_slapd()
    (tmp_path / "slapd").mkdir()
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with (
        Slapd(tmp_path / "slapd", standard_ldif(bulk_users=0)) as slapd,
        run_app(
            slack_emulator,
            database_url,
            tmp_path,
            directory_url=slapd.url,
            directory_bind_dn=READER_DN,
            directory_bind_password=READER_PASSWORD,
            directory_profile="openldap",
            directory_timeout_seconds=2,
        ),
    ):
        view = open_invite(slack_emulator.person(HELPDESK_USER))
        search(view, "Jo")
        assert "John Doe" in view.all_text()
        slapd.stop()
        figures.add("faults injected")
        search(view, "Mary")
        text = view.all_text()
        assert f"nothing accepts connections at 127.0.0.1:{slapd.port} (connection refused)" in text
        assert "the directory server is running" in text and "Mary Johnson" not in text
        slapd.start()
        search(view, "Mary")
        assert "Mary Johnson" in view.all_text() and "nothing accepts connections" not in view.all_text()


@SQLITE_ONLY
def test_slack_rate_limits_and_server_errors_delay_posts_without_losing_or_doubling_them(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path, figures: Figures
) -> None:
    clock = ManualClock(START)
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path, clock=clock) as app:
        helen = slack_emulator.person(HELPDESK_USER)
        # Rate-limited, then Slack fails more often than the client retries: the outbox retries later.
        slack_emulator.fail_next("chat.postMessage", http_status=429, retry_after=1)
        slack_emulator.fail_next("chat.postMessage", http_status=500, times=4)
        add_user_with_backup(helen, "Globex", email="john.doe@example.com")
        slack_emulator.wait_until(
            lambda: app.outbox_rows() and "Slack could not complete" in str(app.outbox_rows())
        )
        assert slack_emulator.channel(HELPDESK_CHANNEL).messages() == []
        later(app, clock)
        app.wait_for_outbox()
        assert len(slack_emulator.channel(HELPDESK_CHANNEL).messages()) == 1
        # A rate-limited modal still opens within Slack's 3 s (the client waits for Retry-After).
        slack_emulator.fail_next("views.open", http_status=429, retry_after=1)
        open_add_user(helen, "Globex").close()
        # Slack failing to open a modal at all: the person is told, in words, to try again.
        slack_emulator.fail_next("views.open", http_status=500, times=5)
        helen.slash("/backup", "add Globex", channel=HELPDESK_CHANNEL)
        answer = slack_emulator.wait_until(
            lambda: [e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "try again" in e.text]
        )[-1]
        assert "Slack" in answer.text and "Nothing was changed" in answer.text
        statuses = [call.http_status for call in slack_emulator.calls() if call.http_status != 200]
        # Both rate limits were answered; the 500s as often as the client and the outbox tried again.
        assert statuses.count(429) == 2 and statuses.count(500) >= 4 + 1
        figures.add("faults injected", len(statuses))
        figures.add("items lost", 0)


def test_postgresql_stopped_and_restarted(
    slack_emulator: SlackEmulator, tmp_path: Path, figures: Figures
) -> None:
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with PrivatePostgres() as postgres:
        url = postgres.create_database("deskops")
        with run_app(slack_emulator, url, tmp_path) as app:
            helen = slack_emulator.person(HELPDESK_USER)
            add_user_with_backup(helen, "Globex", email="john.doe@example.com")
            app.wait_for_outbox()
            postgres.stop()
            figures.add("faults injected")
            with app.http() as http:
                assert http.get("/readyz").status_code == 503
            helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
            slack_emulator.take_problems()  # Slack shows an error for the failed command: expected
            told = slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user=HELPDESK_USER))[-1].text
            assert "deskops cannot use its database just now, so nothing was changed" in told
            assert "`deskops doctor`" in told
            postgres.start()
            with app.http() as http:
                assert http.get("/readyz").json() == {"status": "ready", "database": "ok"}
            done = helen.slash("/backup", "activate john.doe@example.com", channel=HELPDESK_CHANNEL)
            assert done.status == 200
            app.wait_for_outbox()
            assert len(emails(app)) == 1
            postgres.restart()  # connections in the pool are dead now: the next request must not notice
            figures.add("faults injected")
            helen.slash("/backup", "users Globex", channel=HELPDESK_CHANNEL)
            slack_emulator.wait_until(
                lambda: [
                    e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "John Doe" in e.all_text()
                ]
            )
            figures.add("items lost", 0)


def test_postgresql_outage_holds_queued_mail_and_sends_it_once_after_the_restart(
    slack_emulator: SlackEmulator,
    tmp_path: Path,
    make_smtp_sink: MakeSmtpSink,
    figures: Figures,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Work waits and resumes: an activation e-mail and four invitations wait in the outbox for
    their next attempt (the SMTP server was down a moment) when the database goes down. The
    worker hits the outage, keeps trying, and once PostgreSQL is back delivers each e-mail once."""
    sink = make_smtp_sink()
    clock = ManualClock(START)
    seed_helpdesk(slack_emulator)
    figures.watch(slack_emulator)
    with PrivatePostgres() as postgres:
        url = postgres.create_database("deskops")
        with run_app(slack_emulator, url, tmp_path, clock=clock, smtp_url=sink.url) as app:
            helen = slack_emulator.person(HELPDESK_USER)
            add_user_with_backup(helen, "Globex", email="john.doe@example.com")
            app.wait_for_outbox()
            sink.stop()
            helen.click(slack_emulator.channel(HELPDESK_CHANNEL).last_message(), "backup.user.activate")
            invite_group(helen, "Sales")
            refused = f"127.0.0.1:{sink.port} refused the connection"

            def waiting() -> list[tuple[str, str, str | None]]:
                return [row for row in app.outbox_rows() if row[1] == "pending" and refused in str(row[2])]

            slack_emulator.wait_until(lambda: len(waiting()) == 5 and not app.service.listeners.in_flight)
            rows_before = len(app.outbox_rows())
            sink.restart()  # mail could go out now: only the database stops it

            postgres.stop()
            figures.add("faults injected")
            clock.advance(timedelta(minutes=30))  # the e-mails are due again
            app.service.worker.wake()
            slack_emulator.wait_until(lambda: claims_failed(caplog) >= 1, timeout=15)
            time.sleep(1)  # the outage lasts: the worker keeps polling (every 0.05 s here) and failing
            with app.http() as http:
                assert http.get("/readyz").status_code == 503
            assert sink.messages == []  # nothing was claimed, nothing sent, nothing marked

            postgres.start()
            slack_emulator.wait_until(lambda: len(sink.messages) >= 5, timeout=20)
            app.wait_for_outbox()
            card_of(slack_emulator, "4 invitations sent")
            card_of(slack_emulator, "Pending activation (e-mail sent")
            statuses = [status for _, status, _ in app.outbox_rows()]
            assert len(statuses) >= rows_before and set(statuses) == {"delivered"}, app.outbox_rows()

    recipients = sorted(str(m["To"]) for m in sink.messages)
    assert recipients == sorted(
        [
            "john.doe@example.com",
            "mary.johnson@example.com",
            "zoe.lefevre@example.com",
            "francois.dubois@example.com",
            "ana.perez@example.com",
        ]
    )
    assert len({str(m["Message-ID"]) for m in sink.messages}) == 5  # each e-mail once
    figures.add("items lost", 0)
    figures.add("e-mails held during the outage and sent after it", 5)


def claims_failed(caplog: pytest.LogCaptureFixture) -> int:
    """The outbox worker's attempts to claim rows that failed (the database is down)."""
    return len([r for r in caplog.records if r.getMessage().startswith("outbox worker: claiming failed")])
