"""The one place that knows which implementation of each port is in use."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from bot.access_file import read_access_file
from bot.accounts.administrators import create_held_user
from bot.accounts.deletion import delete_held_user
from bot.accounts.delivery import AccountDelivery
from bot.accounts.import_delivery import ImportDelivery
from bot.app import TimedExecutor, create_app
from bot.approvals.executors import Executors
from bot.approvals.policy import ApprovalKind
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.deps import Deps
from bot.enrollment.approvals import drop_held_batch, record_held_device, release_held_batch
from bot.enrollment.delivery import CLAIM_SIZE, EnrollmentDelivery
from bot.enrollment.links import EnrollmentLinks
from bot.integrations.backup.factory import build_platform
from bot.integrations.calls import IntegrationCalls, ObservedDirectory
from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.ldap import LdapDirectory
from bot.integrations.directory.port import Directory
from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.port import Mailer
from bot.integrations.mail.render import MailRenderer
from bot.integrations.mail.smtp import SmtpMailer
from bot.logs import write_between_bursts
from bot.mailrelay.mailer import PacedMailer
from bot.mailrelay.pacing import RelayLimits, RelayPacer
from bot.mailrelay.slots import DatabaseSlots
from bot.outbox.handlers import OutboxHandler
from bot.outbox.service import ENQUEUED_FLAG, oldest_undelivered, pending_count
from bot.outbox.worker import OutboxWorker
from bot.scheduler.jobs import build_jobs
from bot.scheduler.runner import last_successes
from bot.scheduler.service import JobScheduler, replica_name
from bot.slack.access import HelpdeskAccess, SlackPrincipals
from bot.slack.approvals import ApprovalDelivery
from bot.slack.batch_cards import BatchCards
from bot.slack.client import make_web_client
from bot.slack.digest import DigestDelivery
from bot.slack.import_cards import ImportCards
from bot.slack.reminders import ReminderDelivery
from bot.slack.scopes import StaffScopes
from bot.slack.user_cards import UserCards
from bot.tokens import LinkTokens, load_or_create_key
from bot.traffic import RequestTraffic
from bot.web.metrics import Metrics
from bot.web.operator_metrics import DeploymentReading
from bot.web.server import create_web_app

log = logging.getLogger(__name__)


def build_deps(settings: Settings, *, clock: Clock | None = None, slack: WebClient | None = None) -> Deps:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = slack or make_web_client(token, settings.slack_api_url)
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
    calls = IntegrationCalls()
    db = Database(settings.database_url)
    time_source = clock or SystemClock()
    mailer, relay = mailer_from_settings(settings, db, time_source)
    platform = build_platform(settings, calls=calls)
    return Deps(
        settings=settings,
        db=db,
        clock=time_source,
        platform=platform,
        mailer=mailer,
        relay=relay,
        slack=client,
        helpdesk=HelpdeskAccess(SlackPrincipals(settings.helpdesk_users, client)),
        approvers=SlackPrincipals(settings.approvers, client),
        scopes=StaffScopes(read_access_file(settings.access_file) if settings.access_file else None, client),
        tokens=LinkTokens(load_or_create_key(secret_key, Path(settings.secret_key_file))),
        directory=observed(directory_from_settings(settings), calls),
        calls=calls,
        executors=build_executors(settings),
    )


def build_executors(settings: Settings) -> Executors:
    """Every kind of held action approvers can approve, and what carries it out."""
    executors = Executors()
    executors.register(
        ApprovalKind.ADMINISTRATOR,
        partial(create_held_user, audit_channel=settings.audit_channel),
    )
    executors.register(ApprovalKind.USER_DELETION, delete_held_user)
    executors.register(ApprovalKind.INVITATION_BATCH, release_held_batch, on_closed=drop_held_batch)
    executors.register(
        ApprovalKind.DEVICE_BEYOND_LICENCE,
        partial(record_held_device, per_licence=settings.devices_per_licence),
    )
    return executors


def relay_limits(settings: Settings) -> RelayLimits:
    return RelayLimits(
        rate_per_minute=settings.smtp_rate_per_minute,
        max_connections=settings.smtp_max_connections,
        daily_limit=settings.smtp_daily_limit,
        pause_seconds=settings.smtp_pause_seconds,
        zone=settings.zone,
    )


def mailer_from_settings(settings: Settings, db: Database, clock: Clock) -> tuple[Mailer, RelayPacer | None]:
    """The mailer SMTP_URL names; an SMTP relay's is paced to its limits, shared by every replica
    through the database (a folder of .eml files needs no pacing)."""
    limits = relay_limits(settings)
    mailer = build_mailer(
        settings.smtp_url.get_secret_value(),
        mail_from=settings.mail_from,
        timeout=settings.smtp_timeout_seconds,
        connections=min(settings.outbox_threads, settings.smtp_max_connections),
        slots_for=lambda relay: DatabaseSlots(db, clock, relay, limits.max_connections),
    )
    if not isinstance(mailer, SmtpMailer):
        return mailer, None
    pacer = RelayPacer(db, clock, mailer.relay, limits)
    return PacedMailer(mailer, pacer, clock), pacer


def observed(directory: Directory, calls: IntegrationCalls) -> Directory:
    """An LDAP directory's operations are timed for /metrics; a file directory has nothing remote."""
    return ObservedDirectory(directory, calls) if isinstance(directory, LdapDirectory) else directory


def directory_from_settings(settings: Settings) -> Directory:
    password = settings.directory_bind_password
    return build_directory(
        settings.directory_url,
        bind_dn=settings.directory_bind_dn,
        bind_password=password.get_secret_value() if password else None,
        profile=settings.directory_profile.value,
        starttls=settings.directory_starttls,
        timeout=settings.directory_timeout_seconds,
    )


def import_handlers(deps: Deps) -> dict[str, OutboxHandler]:
    """CSV imports: each row added as Add New User adds one (its approval policy included), with
    no card per user (the import's progress card announces them)."""
    imports = ImportDelivery(db=deps.db, clock=deps.clock, platform=deps.platform, settings=deps.settings)
    cards = ImportCards(db=deps.db, clock=deps.clock, slack=deps.slack)
    return {**imports.handlers(), **cards.handlers()}


def outbox_handlers(deps: Deps) -> dict[str, OutboxHandler]:
    """Every kind of outbox row and what delivers it: the one list of them."""
    settings = deps.settings
    renderer = MailRenderer.from_settings(settings)
    accounts = AccountDelivery(
        db=deps.db,
        clock=deps.clock,
        platform=deps.platform,
        mailer=deps.mailer,
        renderer=renderer,
        public_url=settings.public_url,
        agent_download_url=settings.agent_download_url,
        tokens=deps.tokens,
        default_language=settings.language,
    )
    enrollment = EnrollmentDelivery(
        db=deps.db,
        clock=deps.clock,
        mailer=deps.mailer,
        renderer=renderer,
        tokens=deps.tokens,
        links=EnrollmentLinks.from_settings(settings),
        per_licence=settings.devices_per_licence,
        claim_size=None if settings.smtp_rate_per_minute else CLAIM_SIZE,
    )
    user_cards = UserCards(db=deps.db, clock=deps.clock, slack=deps.slack)
    batch_cards = BatchCards(
        db=deps.db,
        clock=deps.clock,
        slack=deps.slack,
        per_licence=settings.devices_per_licence,
        zone=settings.zone,
        relay=deps.relay,
    )
    approvals = ApprovalDelivery(
        db=deps.db,
        clock=deps.clock,
        slack=deps.slack,
        approvals_channel=settings.approvals_channel,
        approvers=tuple(settings.approvers),
    )
    reminders = ReminderDelivery(
        db=deps.db,
        slack=deps.slack,
        window_hours=settings.reminder_expiry_window_hours,
        pending_days=settings.reminder_pending_activation_days,
    )
    digest = DigestDelivery(
        db=deps.db,
        slack=deps.slack,
        expiring_window=timedelta(hours=settings.reminder_expiry_window_hours),
        per_licence=settings.devices_per_licence,
        timezone=settings.timezone,
    )
    handlers: dict[str, OutboxHandler] = import_handlers(deps)
    for part in (accounts, enrollment, user_cards, batch_cards, approvals, reminders, digest):
        handlers.update(part.handlers())
    return handlers


def build_scheduler(deps: Deps) -> JobScheduler:
    """This replica's scheduler, with the jobs this configuration runs."""
    jobs = build_jobs(deps.settings, platform=deps.platform, db=deps.db, executors=deps.executors)
    return JobScheduler(deps.db, deps.clock, jobs, replica=replica_name())


@dataclass
class Service:
    """Everything `deskops serve` runs: the web app, the outbox worker and the scheduler."""

    deps: Deps
    metrics: Metrics
    bolt: App
    listeners: TimedExecutor
    web: Starlette
    worker: OutboxWorker
    scheduler: JobScheduler
    traffic: RequestTraffic

    def start_background(self) -> None:
        self.worker.start()
        if self.deps.settings.scheduler_enabled:
            self.scheduler.start()

    def stop_background(self) -> None:
        self.scheduler.stop()
        self.listeners.shutdown(wait=True)
        self.worker.stop()
        self.deps.mailer.close()
        self.deps.platform.close()
        self.deps.directory.close()


def build_service(deps: Deps, *, poll_interval: float = 1.0) -> Service:
    metrics = Metrics()
    handlers = outbox_handlers(deps)
    # Requests waiting for their acks: the outbox worker and the log writer stand aside meanwhile.
    traffic = RequestTraffic()
    write_between_bursts(traffic.lull)
    worker = OutboxWorker(
        deps.db,
        handlers,
        deps.clock,
        threads=deps.settings.outbox_threads,
        lease=timedelta(seconds=deps.settings.outbox_lease_seconds),
        poll_interval=poll_interval,
        on_outcome=metrics.record_delivery,
        on_gave_up=metrics.operator.record_given_up,
        traffic=traffic,
    )

    # Wake the worker as soon as a transaction that queued work commits.
    @event.listens_for(deps.db.sessions, "after_commit")
    def _wake_worker(session: Session) -> None:
        if session.info.pop(ENQUEUED_FLAG, False):
            worker.wake()

    def outbox_depth() -> int:
        with deps.db.read() as session:
            return pending_count(session)

    metrics.watch_outbox_depth(outbox_depth)
    scheduler = build_scheduler(deps)
    metrics.operator.know_outbox_kinds(handlers)
    jobs = [job.id for job in scheduler.jobs]
    metrics.operator.watch_deployment(lambda: deployment_reading(deps.db, jobs), deps.clock, jobs)
    deps.calls.subscribe(metrics.operator.record_call)
    if deps.relay is not None:
        deps.relay.on_pause = metrics.operator.record_relay_pause
    listeners = TimedExecutor(metrics, traffic=traffic)
    bolt = create_app(deps, metrics, listeners)
    web = create_web_app(bolt, deps, metrics, traffic=traffic)
    if deps.helpdesk.open_to_everyone:
        log.warning("HELPDESK_USERS is not set: everyone in the workspace can use /backup and /enroll")
    return Service(
        deps=deps,
        metrics=metrics,
        bolt=bolt,
        listeners=listeners,
        web=web,
        worker=worker,
        scheduler=scheduler,
        traffic=traffic,
    )


def deployment_reading(db: Database, jobs: Sequence[str]) -> DeploymentReading:
    """The outbox's oldest waiting row and each job's last success, for /metrics."""
    with db.read() as session:
        return DeploymentReading(oldest_undelivered(session), last_successes(session, jobs))
