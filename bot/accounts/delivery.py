"""Outbox handlers of the accounts domain: platform provisioning and the activation e-mail (the
user cards are the Slack layer's: bot/slack/user_cards.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.accounts.activation import ACTIVATION
from bot.accounts.jobs import AccountJob, refresh_cards
from bot.accounts.models import ActivationToken, BackupUser, ProvisioningState, Service, UserStatus
from bot.accounts.queries import get_user
from bot.accounts.summary import quotas_of
from bot.audit.service import record
from bot.clock import Clock
from bot.customers.service import language_for_customer
from bot.db import Database
from bot.integrations.backup.port import (
    BackupPlatform,
    PlatformBackupSettings,
    PlatformError,
    PlatformUserSpec,
)
from bot.integrations.mail.port import MailDeferred, Mailer, MailError, OutgoingEmail
from bot.outbox.handlers import Delivery, DeliveryDeferred, DeliveryFailed, OutboxHandler
from bot.outbox.service import enqueue
from bot.tokens import LinkTokens

log = logging.getLogger(__name__)


class EmailRenderer(Protocol):
    def render_email(
        self,
        template: str,
        *,
        to: str,
        context: dict[str, object],
        message_id: str,
        language: str | None = None,
    ) -> OutgoingEmail: ...


@dataclass(frozen=True)
class AccountDelivery:
    db: Database
    clock: Clock
    platform: BackupPlatform
    mailer: Mailer
    renderer: EmailRenderer
    public_url: str
    agent_download_url: str | None
    tokens: LinkTokens
    # LANGUAGE: what the platform is told for users of a customer without a language of its own.
    default_language: str = "en"

    def handlers(self) -> dict[str, OutboxHandler]:
        return {
            AccountJob.PROVISION: OutboxHandler(self.provision, gave_up=self.provisioning_gave_up),
            AccountJob.ACTIVATION_EMAIL: OutboxHandler(self.send_activation_email),
            AccountJob.PLATFORM_ACTIVATION: OutboxHandler(self.platform_activation),
            AccountJob.SET_ENABLED: OutboxHandler(self.set_enabled),
            AccountJob.DELETE_ACCOUNT: OutboxHandler(self.delete_account),
            AccountJob.UPDATE_ACCOUNT: OutboxHandler(self.update_account),
        }

    # --- backup platform ------------------------------------------------------------------

    def _spec(self, user: BackupUser) -> PlatformUserSpec:
        customer = user.customer
        return PlatformUserSpec(
            customer_provider_id=customer.provider_id or f"local-customer-{customer.id}",
            login=user.email,
            email=user.mail_to,
            first_name=user.first_name,
            last_name=user.last_name,
            role=user.role,
            address=user.address,
            phone=user.phone,
            language=language_for_customer(customer, self.default_language),
        )

    def update_account(self, delivery: Delivery) -> None:
        """Contact details and role as the user has them now (the latest edit wins)."""
        user_id = int(delivery.payload["user_id"])
        with self.db.read() as session:
            user = get_user(session, user_id)
            spec, provider_id, state = self._spec(user), user.provider_id, user.provisioning
            deleted = user.status is UserStatus.DELETED
        if deleted:
            return
        if provider_id is None or state is not ProvisioningState.DONE:
            raise DeliveryFailed("waiting for the account to be created on the backup platform")
        try:
            self.platform.update_account(provider_id, spec)
        except PlatformError as error:
            raise DeliveryFailed(str(error), permanent=not error.transient) from None

    def provision(self, delivery: Delivery) -> None:
        """Create the account on the platform (once) and apply its role and Backup settings."""
        user_id = int(delivery.payload["user_id"])
        with self.db.transaction() as session:
            user = get_user(session, user_id)
            if user.status is UserStatus.DELETED and user.provider_id is None:
                return  # deleted before it reached the platform: nothing to make there
            spec = self._spec(user)
            provider_id = user.provider_id
            assignment = user.assignment(Service.BACKUP)
            settings = None
            if assignment is not None:
                settings = PlatformBackupSettings(
                    subscription_provider_id=assignment.subscription.provider_id,
                    subscription_name=assignment.subscription.name,
                    notification_level=assignment.notification_level,
                    backup_role=assignment.backup_role,
                    quotas=quotas_of(assignment),
                )
        try:
            if provider_id is None:
                provider_id = self.platform.create_user(spec)
                # Remember the account at once: a retry continues instead of creating it again.
                with self.db.transaction() as session:
                    made = get_user(session, user_id)
                    made.provider_id = provider_id
                    deleted_meanwhile = made.status is UserStatus.DELETED
                if deleted_meanwhile:  # deleted while the account was being made: undo it
                    self.platform.delete_account(provider_id)
                    return
            self.platform.set_role(provider_id, spec)
            if settings is not None:
                self.platform.apply_backup_settings(provider_id, settings)
        except PlatformError as error:
            raise DeliveryFailed(str(error), permanent=not error.transient) from None
        with self.db.transaction() as session:
            user = get_user(session, user_id)
            user.provisioning = ProvisioningState.DONE
            user.provisioning_error = None
            refresh_cards(session, user_id, now=self.clock.now())

    def provisioning_gave_up(self, delivery: Delivery, reason: str) -> None:
        user_id = int(delivery.payload["user_id"])
        now = self.clock.now()
        with self.db.transaction() as session:
            user = get_user(session, user_id)
            exists = (
                f"the account exists on the platform as {user.provider_id}"
                if user.provider_id
                else ("no account was created on the platform")
            )
            user.provisioning = ProvisioningState.FAILED
            user.provisioning_error = f"{reason} ({exists})"[:1000]
            record(
                session,
                actor="deskops",
                action="user.provisioning_failed",
                target=user.email,
                now=now,
                customer_id=user.customer_id,
                details={"user_id": user_id, "reason": reason},
            )
            refresh_cards(session, user_id, now=now)

    def platform_activation(self, delivery: Delivery) -> None:
        user_id = int(delivery.payload["user_id"])
        with self.db.read() as session:
            user = get_user(session, user_id)
            provider_id, state = user.provider_id, user.provisioning
        if provider_id is None or state is not ProvisioningState.DONE:
            raise DeliveryFailed("waiting for the account to be created on the backup platform")
        try:
            self.platform.send_activation_email(provider_id)
        except PlatformError as error:
            raise DeliveryFailed(str(error), permanent=not error.transient) from None

    def set_enabled(self, delivery: Delivery) -> None:
        """Make the platform follow the user's state as it is now (the last change wins)."""
        user_id = int(delivery.payload["user_id"])
        with self.db.read() as session:
            user = get_user(session, user_id)
            provider_id, state, status = user.provider_id, user.provisioning, user.status
        if status is UserStatus.DELETED:
            return
        if provider_id is None or state is not ProvisioningState.DONE:
            raise DeliveryFailed("waiting for the account to be created on the backup platform")
        try:
            self.platform.set_enabled(provider_id, enabled=status is not UserStatus.DISABLED)
        except PlatformError as error:
            raise DeliveryFailed(str(error), permanent=not error.transient) from None

    def delete_account(self, delivery: Delivery) -> None:
        user_id = int(delivery.payload["user_id"])
        with self.db.read() as session:
            provider_id = get_user(session, user_id).provider_id
        if provider_id is None:
            # Never made on the platform: provisioning skips a deleted user that has no account yet.
            return
        try:
            self.platform.delete_account(provider_id)
        except PlatformError as error:
            raise DeliveryFailed(str(error), permanent=not error.transient) from None

    # --- e-mail ---------------------------------------------------------------------------

    def send_activation_email(self, delivery: Delivery) -> None:
        token_id = int(delivery.payload["token_id"])
        now = self.clock.now()
        with self.db.read() as session:
            row = session.get(ActivationToken, token_id)
            if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= now:
                return  # superseded by a newer link, or already used: nothing to send
            user = get_user(session, row.user_id)
            # The same link on every delivery of this row; the database keeps only its hash.
            token = self.tokens.token(ACTIVATION, row.nonce)
            context: dict[str, object] = {
                "first_name": user.first_name,
                "full_name": user.full_name,
                "customer": user.customer.name,
                "login": user.email,
                "activation_url": f"{self.public_url}/activate/{token}",
                "expires_at": row.expires_at,
                "agent_download_url": self.agent_download_url,
            }
            to, user_id, language = user.mail_to, user.id, user.customer.language
        # In the customer's language (none: the renderer's LANGUAGE).
        # The same link and page serve a password reset (bot/accounts/reset.py), with its own e-mail.
        template = str(delivery.payload.get("template") or "activation")
        email = self.renderer.render_email(
            template, to=to, context=context, message_id=f"{template}-{token_id}", language=language
        )
        try:
            self.mailer.send(email)
        except MailDeferred as deferred:
            # The relay asked us to wait (or a limit of ours did): not an attempt, not a failure.
            raise DeliveryDeferred(str(deferred), until=deferred.until or self.clock.now()) from None
        except MailError as error:
            # The card says why the e-mail waits. A moment later: the outbox records this attempt's
            # error only after this handler returns, and the card is rendered from that record.
            self._refresh_cards_soon(user_id, delay=timedelta(seconds=1))
            raise DeliveryFailed(str(error), permanent=error.permanent) from None
        if delivery.attempt > 1:  # the card said the e-mail was waiting: it is sent now
            self._refresh_cards_soon(user_id, delay=timedelta(0))

    def _refresh_cards_soon(self, user_id: int, *, delay: timedelta) -> None:
        with self.db.transaction() as session:
            enqueue(
                session,
                kind=AccountJob.USER_CARD_REFRESH,
                payload={"user_id": user_id},
                now=self.clock.now(),
                delay=delay,
            )
