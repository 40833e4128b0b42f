"""Which relay answers pause sending and which fail the message (RFC 3463/5248 and the relays'
own documented replies)."""

from __future__ import annotations

import pytest

from bot.integrations.mail.smtp_replies import Throttle, classify, enhanced_code, stated_delay


@pytest.mark.parametrize(
    ("code", "text", "kind"),
    [
        # Google: https://support.google.com/a/answer/3726730
        (421, "4.7.0 Try again later, closing connection. (EHLO) - gsmtp", Throttle.SLOW_DOWN),
        (
            450,
            "4.2.1 Peak SMTP relay limit exceeded for customer. This is a temporary error.",
            Throttle.SLOW_DOWN,
        ),
        (451, "4.7.500 Server busy. Please try again later", Throttle.SLOW_DOWN),
        (452, "4.5.3 Too many recipients", Throttle.SLOW_DOWN),
        (451, "4.4.5 Mail system congestion", Throttle.SLOW_DOWN),
        (421, "Service not available", Throttle.SLOW_DOWN),
        # Amazon SES sends no enhanced code
        (454, "Throttling failure: Maximum sending rate exceeded.", Throttle.SLOW_DOWN),
        (454, "Throttling failure: Daily message quota exceeded.", Throttle.DAILY_QUOTA),
        # Exchange Online: https://learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements
        (
            432,
            "4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending",
            Throttle.CONNECTIONS,
        ),
        (
            554,
            "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message",
            Throttle.DAILY_QUOTA,
        ),
        (550, "5.4.5 Daily user sending quota exceeded. - gsmtp", Throttle.DAILY_QUOTA),
        (550, "5.7.1 Daily SMTP relay limit exceeded for customer", Throttle.DAILY_QUOTA),
    ],
)
def test_throttle_and_quota_replies_pause_instead_of_failing(code: int, text: str, kind: Throttle) -> None:
    throttle = classify(code, text)
    assert throttle is not None and throttle.kind is kind


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (250, "2.0.0 OK"),
        (550, "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"),
        (550, "5.7.1 Relaying denied"),
        (553, "5.7.1 <x@example.com>: Sender address rejected: not owned by user"),
        (535, "5.7.8 Username and Password not accepted"),
        # The sender's own mailbox is full: the helpdesk must act, tomorrow changes nothing.
        (
            554,
            "5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded",
        ),
        (452, "4.2.2 The recipient's inbox is out of storage space"),
        (451, "4.3.0 Mail server temporarily rejected message."),
    ],
)
def test_other_replies_follow_the_usual_rules(code: int, text: str) -> None:
    assert classify(code, text) is None


def test_a_stated_delay_is_respected() -> None:
    assert stated_delay("4.7.0 Too many messages, try again in 30 seconds") == 30.0
    assert stated_delay("4.7.0 Please retry after 2 minutes") == 120.0
    assert stated_delay("4.7.0 Try again later") is None
    throttle = classify(451, "4.7.0 Message rate limit exceeded; try again in 1.5 s")
    assert throttle is not None and throttle.retry_after == 1.5


def test_enhanced_codes_are_read_from_the_start_of_the_text() -> None:
    assert enhanced_code("4.7.28 rate limited") == (4, 7, 28)
    assert enhanced_code("Throttling failure") is None
