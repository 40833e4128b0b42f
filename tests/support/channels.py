"""The app with the channel features switched on, on a clock the test moves: approvals in
#approvals (Anna and Harry approve), reminders in #helpdesk, the digest in #digest at 08:30
Europe/Amsterdam. The scheduler does not tick by itself: tests run its jobs with `run_job`.

    with channels_app(slack_emulator, database_url, tmp_path) as app:
        app.clock.advance(timedelta(hours=49))
        run_job(app, "approvals")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.accounts.forms import NewUser
from bot.accounts.models import Role
from bot.accounts.users import create_user
from bot.clock import ManualClock
from bot.customers.service import find_customer
from bot.db import Database
from bot.enrollment.models import (
    BatchState,
    Invitation,
    InvitationBatch,
    InvitationState,
    Platform,
    PlatformChoice,
)
from bot.scheduler.runner import RunOutcome
from console import SlackEmulator
from console.driver import Person
from console.viewhandle import SubmitResult
from tests.e2e.backup_flows import fill_user, open_add_user, option_value
from tests.support.app import RunningApp, run_app
from tests.support.slack import APPROVER, HELPDESK_USER, OTHER_HELPDESK_USER, seed_helpdesk

DIGEST_CHANNEL = "C0DIGEST1"
SUMMARY = "Create Administrator Ada Admin (ada@acme.example) for Acme Corporation"
OUTSIDER = "U0OUTS001"
# A Friday morning in Amsterdam, two days before the clocks go forward (29 March 2026).
START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


@dataclass
class ChannelsApp:
    app: RunningApp
    clock: ManualClock


def seed_channels(emulator: SlackEmulator) -> None:
    seed_helpdesk(emulator)
    emulator.add_user(OUTSIDER, name="sam", real_name="Sam Sales", email="sam@msp.example")
    emulator.add_channel(DIGEST_CHANNEL, name="digest", members=[HELPDESK_USER, APPROVER], bot_is_member=True)


@contextmanager
def channels_app(
    emulator: SlackEmulator, database_url: str, tmp_path: Path, *, start: datetime = START, **overrides: Any
) -> Iterator[ChannelsApp]:
    seed_channels(emulator)
    clock = ManualClock(start)
    settings: dict[str, Any] = {
        "approvals_channel": "C0APPR01",
        "approvers": f"{APPROVER},{OTHER_HELPDESK_USER}",
        "helpdesk_channel": "C0HELP01",
        "digest_channel": DIGEST_CHANNEL,
        "digest_time": "08:30",
        "timezone": "Europe/Amsterdam",
        "scheduler_enabled": False,
        **overrides,
    }
    with run_app(emulator, database_url, tmp_path, clock=clock, **settings) as app:
        yield ChannelsApp(app=app, clock=clock)


def run_job(app: ChannelsApp, job_id: str) -> RunOutcome:
    """Run a scheduled job now (as the scheduler would when it is due) and let its posts go out."""
    outcome = app.app.service.scheduler.run_now(job_id)
    app.app.wait_for_outbox()
    return outcome


def add_backup_user(
    app: ChannelsApp,
    *,
    email: str,
    first: str = "Pat",
    last: str = "Pending",
    customer: str = "Globex Logistics",
    role: Role = Role.USER,
) -> int:
    """A user added now (by Helen), pending activation; its card goes nowhere."""
    deps = app.app.deps
    with deps.db.transaction() as session:
        created = create_user(
            session,
            new_user=NewUser(
                customer_id=find_customer(session, customer).id,
                first_name=first,
                last_name=last,
                email=email,
                role=role,
                address=None,
                phone=None,
                notification_email=None,
            ),
            actor=HELPDESK_USER,
            now=deps.clock.now(),
            request_key=f"test-{email}",
            notify_channels=[],
        )
        return created.user_id


def add_invitation(
    app: ChannelsApp,
    *,
    email: str,
    name: str,
    expires_in: timedelta,
    state: InvitationState = InvitationState.SENT,
    platform: Platform = Platform.IOS,
) -> int:
    """An invitation sent now (by Helen) that expires after `expires_in`."""
    deps = app.app.deps
    return add_invitation_rows(
        deps.db,
        email=email,
        name=name,
        now=deps.clock.now(),
        expires_in=expires_in,
        state=state,
        platform=platform,
    )


def add_invitation_rows(
    db: Database,
    *,
    email: str,
    name: str,
    now: datetime,
    expires_in: timedelta,
    state: InvitationState = InvitationState.SENT,
    platform: Platform = Platform.IOS,
) -> int:
    """A one-invitation batch, as if sent at `now`; returns the invitation's id."""
    with db.transaction() as session:
        batch = InvitationBatch(
            created_by=HELPDESK_USER,
            created_at=now,
            channel_id=None,
            platform=PlatformChoice(platform.value),
            days=7,
            expires_at=now + expires_in,
            invitees=1,
            invitations=1,
            state=BatchState.DONE,
            request_key=f"test-{email}-{platform.value}-{now.isoformat()}",
        )
        session.add(batch)
        session.flush()
        invitation = Invitation(
            batch_id=batch.id,
            display_name=name,
            username=email,
            email=email,
            email_key=email.lower(),
            platform=PlatformChoice(platform.value),
            token_hash=f"hash-{batch.id}",
            nonce="n" * 32,
            state=state,
            created_at=now,
            expires_at=now + expires_in,
            sent_at=now if state is not InvitationState.QUEUED else None,
        )
        session.add(invitation)
        session.flush()
        return invitation.id


def ask_for_administrator(
    person: Person, *, with_backup: bool = False, email: str = "ada@acme.example"
) -> SubmitResult:
    """Helen (or whoever) asks for Administrator Ada Admin at Acme in #helpdesk."""
    view = open_add_user(person, "Acme")
    fill_user(view, "Ada", "Admin", email)
    view.choose("role", "administrator")
    view.wait_for_update()
    view.fill("address", "Keizersgracht 1, Amsterdam")
    view.fill("phone", "+31 20 123 4567")
    if not with_backup:
        view.tick("services", [])
        view.wait_for_update()
    result = view.submit()
    assert result.errors is None, result.errors
    if with_backup:
        assert result.view is not None and result.view.callback_id == "backup.add_user.backup_settings"
        result.view.choose("subscription", option_value(result.view, "subscription", "Capped Storage"))
        result = result.view.submit()
        assert result.errors is None, result.errors
    return result
