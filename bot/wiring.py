"""The one place that knows which implementation of each port is in use."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from bot.accounts.delivery import AccountDelivery
from bot.app import TimedExecutor, create_app
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.deps import Deps
from bot.enrollment.delivery import EnrollmentDelivery, EnrollmentLinks
from bot.integrations.backup.factory import build_platform
from bot.integrations.calls import IntegrationCalls, ObservedDirectory
from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.ldap import LdapDirectory
from bot.integrations.directory.port import Directory
from bot.integrations.mail.factory import build_mailer
from bot.integrations.mail.render import MailRenderer
from bot.outbox.service import ENQUEUED_FLAG, oldest_undelivered, pending_count
from bot.outbox.worker import OutboxHandler, OutboxWorker
from bot.scheduler.runner import last_successes
from bot.scheduler.service import JobScheduler
from bot.scheduler.wiring import build_scheduler, channel_handlers
from bot.slack.access import HelpdeskAccess, SlackPrincipals
from bot.slack.client import make_web_client
from bot.tokens import LinkTokens, load_or_create_key
from bot.web.metrics import Metrics
from bot.web.operator_metrics import DeploymentReading
from bot.web.server import create_web_app

log = logging.getLogger(__name__)


def build_deps(settings: Settings, *, clock: Clock | None = None, slack: WebClient | None = None) -> Deps:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = slack or make_web_client(token, settings.slack_api_url)
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
    calls = IntegrationCalls()
    return Deps(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        platform=build_platform(settings, calls=calls),
        mailer=build_mailer(
            settings.smtp_url.get_secret_value(),
            mail_from=settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
            connections=settings.outbox_threads,
        ),
        slack=client,
        helpdesk=HelpdeskAccess(SlackPrincipals(settings.helpdesk_users, client)),
        approvers=SlackPrincipals(settings.approvers, client),
        tokens=LinkTokens(load_or_create_key(secret_key, Path(settings.secret_key_file))),
        directory=observed(directory_from_settings(settings), calls),
        calls=calls,
    )


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


def outbox_handlers(deps: Deps) -> dict[str, OutboxHandler]:
    renderer = MailRenderer.from_settings(deps.settings)
    accounts = AccountDelivery(
        db=deps.db,
        clock=deps.clock,
        platform=deps.platform,
        mailer=deps.mailer,
        renderer=renderer,
        slack=deps.slack,
        public_url=deps.settings.public_url,
        agent_download_url=deps.settings.agent_download_url,
        tokens=deps.tokens,
        default_language=deps.settings.language,
    )
    enrollment = EnrollmentDelivery(
        db=deps.db,
        clock=deps.clock,
        mailer=deps.mailer,
        renderer=renderer,
        slack=deps.slack,
        tokens=deps.tokens,
        links=EnrollmentLinks.from_settings(deps.settings),
        per_licence=deps.settings.devices_per_licence,
    )
    return {**accounts.handlers(), **enrollment.handlers()}


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
    handlers = {**outbox_handlers(deps), **channel_handlers(deps)}
    worker = OutboxWorker(
        deps.db,
        handlers,
        deps.clock,
        threads=deps.settings.outbox_threads,
        lease=timedelta(seconds=deps.settings.outbox_lease_seconds),
        poll_interval=poll_interval,
        on_outcome=metrics.record_delivery,
        on_gave_up=metrics.operator.record_given_up,
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
    listeners = TimedExecutor(metrics)
    bolt = create_app(deps, metrics, listeners)
    web = create_web_app(bolt, deps, metrics)
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
    )


def deployment_reading(db: Database, jobs: Sequence[str]) -> DeploymentReading:
    """The outbox's oldest waiting row and each job's last success, for /metrics."""
    with db.read() as session:
        return DeploymentReading(oldest_undelivered(session), last_successes(session, jobs))
