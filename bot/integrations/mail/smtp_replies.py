"""Which SMTP replies mean "slow down" rather than "this message failed".

A reply is a basic code (RFC 5321 §4.2) and, from servers that speak ENHANCEDSTATUSCODES, an
enhanced status code class.subject.detail (RFC 3463, registry of RFC 5248). 4xx is transient, 5xx
permanent. Among the transient ones, some say that the *relay* will take nothing from us for a
while — every further message would get the same answer — so sending pauses instead of spending
an attempt of each message:

- 421 (any): "Service not available, closing transmission channel" (RFC 5321 §4.2.3), e.g.
  Google's "421 4.7.0 Try again later, closing connection".
- X.3.2 "System not accepting network messages" (RFC 3463 §3.5), e.g. Exchange Online's
  "432 4.3.2 Concurrent connections limit exceeded".
- X.4.5 "Mail system congestion" (RFC 3463 §3.6): "useful only as a persistent transient error".
- 4.7.x "Security or policy status" (RFC 3463 §3.8), the class relays answer rate limits with
  (Google "4.7.28", Exchange "4.7.500-699 … try again later").
- X.5.3 "Too many recipients" (RFC 3463 §3.7) with 452: the remainder goes on a later attempt.
- 454 "Throttling failure: Maximum sending rate exceeded" / "… Daily message quota exceeded":
  Amazon SES's SMTP interface, which sends no enhanced code
  (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html).

A 5xx reply is a permanent failure of the message and stays one, with one exception: the daily
sending quotas that relays document with a 5xx code, where the message itself is fine and
tomorrow it goes through — Exchange Online "554 5.2.0 STOREDRV.Submission.Exception:
SubmissionQuotaExceededException" (https://learn.microsoft.com/en-us/exchange/troubleshoot/
send-emails/smtp-submission-improvements), Google "550 5.4.5 Daily user sending quota exceeded",
"550 5.4.5 Daily SMTP relay limit exceeded for user" and "550 5.7.1 Daily SMTP relay limit
exceeded for customer" (https://support.google.com/a/answer/3726730). A full mailbox
(X.2.2, Exchange's "QuotaExceededException" on the sender's own mailbox) is not such a quota: it
stays a failure the helpdesk must act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Throttle(StrEnum):
    SLOW_DOWN = "slow_down"  # pause the relay for a while
    DAILY_QUOTA = "daily_quota"  # the relay's own daily quota is used up: wait for tomorrow
    CONNECTIONS = "connections"  # too many connections at once: this one closes, others go on


@dataclass(frozen=True)
class ThrottleReply:
    kind: Throttle
    # A delay the reply states ("try again in 30 seconds"), in seconds.
    retry_after: float | None


_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_DAILY_QUOTA = re.compile(
    r"SubmissionQuotaExceeded|daily (?:user )?sending quota|daily (?:smtp )?relay limit|"
    r"daily message quota|daily (?:sending )?limit",
    re.IGNORECASE,
)
_RATE_WORDS = re.compile(
    r"throttl|rate limit|sending rate|too many (?:messages|connections|concurrent)|"
    r"concurrent connections?|limit exceeded|try again later",
    re.IGNORECASE,
)
_DELAY = re.compile(
    r"(?:try again|retry|resend|wait)\D{0,20}?(\d+(?:\.\d+)?)\s*"
    r"(seconds?|secs?|s\b|minutes?|mins?|m\b|hours?|hrs?|h\b)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}
# A stated delay above this is not taken literally (a day's pause is the daily quota's business).
LONGEST_STATED_DELAY = 6 * 3600.0


def enhanced_code(text: str) -> tuple[int, int, int] | None:
    """The RFC 3463 status code at the start of a reply's text, e.g. (4, 7, 0)."""
    match = _ENHANCED.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def stated_delay(text: str) -> float | None:
    """Seconds a reply asks us to wait ("try again in 2 minutes"), or None."""
    match = _DELAY.search(text)
    if match is None:
        return None
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
    return min(seconds, LONGEST_STATED_DELAY) if seconds > 0 else None


def closed_when_idle(code: int, text: str) -> bool:
    """A 421 a server sends when it drops a session kept open too long (Postfix "421 4.4.2 …
    timeout exceeded", Exim "421 … SMTP command timeout"): a new session may go on at once."""
    lowered = text.lower()
    return code == 421 and (
        enhanced_code(text) == (4, 4, 2) or "timeout" in lowered or "timed out" in lowered
    )


def classify(code: int, text: str) -> ThrottleReply | None:
    """A throttle or quota reply, or None for every other reply (success, or a failure of this
    message that follows the usual transient/permanent rules)."""
    kind = _kind(code, text)
    return ThrottleReply(kind, stated_delay(text)) if kind is not None else None


def _kind(code: int, text: str) -> Throttle | None:
    status = enhanced_code(text)
    if status is not None and status[1:] == (2, 2):
        return None  # a full mailbox is not a sending quota
    if _DAILY_QUOTA.search(text) and 400 <= code < 600:
        return Throttle.DAILY_QUOTA
    if code >= 500 or code < 400:
        return None
    if status is not None and status[1:] == (3, 2) and "connection" in text.lower():
        return Throttle.CONNECTIONS
    if code == 421:
        return Throttle.SLOW_DOWN
    if status is not None:
        subject, detail = status[1], status[2]
        if (
            subject == 7
            or (subject, detail) in ((3, 2), (4, 5))
            or (code == 452 and (subject, detail) == (5, 3))
        ):
            return Throttle.SLOW_DOWN
    if code == 454 or _RATE_WORDS.search(text):
        return Throttle.SLOW_DOWN
    return None
