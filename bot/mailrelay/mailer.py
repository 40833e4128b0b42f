"""The mailer every sender uses: the configured one, paced to the relay's limits."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.integrations.mail.port import DeferReason, MailDeferred, Mailer, OutgoingEmail
from bot.mailrelay.pacing import RELAY_PAUSES, RelayPacer


class PacedMailer:
    """Each message waits for its moment under the relay's limits; a relay's "slow down" answer
    pauses every replica. Either way the message raises MailDeferred with `until` set: it goes
    back to the queue untouched, neither an attempt nor a failure."""

    def __init__(self, inner: Mailer, pacer: RelayPacer, clock: Clock) -> None:
        self.inner = inner
        self.pacer = pacer
        self.clock = clock

    def send(self, email: OutgoingEmail) -> None:
        self.pacer.admit()
        try:
            self.inner.send(email)
        except MailDeferred as deferred:
            if deferred.reason in RELAY_PAUSES:
                deferred.until = self.pacer.pause(deferred)
            else:
                if deferred.reason is DeferReason.CONNECTIONS and self.pacer.on_pause is not None:
                    self.pacer.on_pause(deferred.reason)
                wait = deferred.retry_after if deferred.retry_after is not None else 1.0
                deferred.until = self.clock.now() + timedelta(seconds=wait)
            raise

    def check(self) -> str:
        return self.inner.check()

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"PacedMailer({self.inner!r})"
