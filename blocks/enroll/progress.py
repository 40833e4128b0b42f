"""The batch card's progress: a bar drawn in text (readable in Slack, in notifications and in a
screen reader's fallback text), sent / queued / paused counts, the expected finish time and, when
sending waits, why in words. Times are shown in TIMEZONE with the zone named."""

from __future__ import annotations

from datetime import datetime

from bot.enrollment.progress import SendingOutlook
from bot.enrollment.summary import BatchSummary
from bot.integrations.mail.port import DeferReason

BAR_WIDTH = 20
FULL, EMPTY = "█", "░"


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """`██████░░░░░░░░░░░░░░ 30%`: cells filled in proportion, never full before everything is."""
    share = done / total if total > 0 else 1.0
    filled = min(width, int(share * width))
    if done < total:
        filled = min(filled, width - 1)
    percent = int(share * 100) if done < total else 100
    return f"{FULL * filled}{EMPTY * (width - filled)} {percent}%"


def when(moment: datetime, now: datetime, word: str = "at") -> str:
    """`at 10:42 CET` today, `tomorrow at 00:00 CET`, else `on Sat 5 Dec at 09:00 CET`."""
    clock = f"{word} {moment:%H:%M} {moment:%Z}".strip()
    days = (moment.date() - now.date()).days
    if days == 0:
        return clock
    if days == 1:
        return f"tomorrow {clock}"
    return f"on {moment:%a} {moment.day} {moment:%b} {clock}"


def pause_sentence(outlook: SendingOutlook) -> str | None:
    """Why sending waits, in words: "the mail server asked us to slow down; resuming at 10:42"."""
    if outlook.resume_at is None or outlook.pause_reason is None:
        return None
    resume, now = outlook.resume_at, outlook.now
    if outlook.pause_reason is DeferReason.DAILY_QUOTA:
        return f"the mail server's daily sending quota is used up; resuming {when(resume, now)}"
    if outlook.pause_reason is DeferReason.DAILY_LIMIT:
        return f"today's limit of e-mails (SMTP_DAILY_LIMIT) is reached; the rest go out {when(resume, now, 'from')}"
    return f"the mail server asked us to slow down; resuming {when(resume, now)}"


def counts_line(batch: BatchSummary) -> str:
    """`Sent 380 · Queued 620 · Paused 0` (and failures when there are any)."""
    outlook = batch.outlook
    paused = outlook.paused if outlook is not None else 0
    parts = [f"Sent {batch.sent:,}", f"Queued {batch.queued - paused:,}", f"Paused {paused:,}"]
    if batch.failed:
        parts.append(f"Failed {batch.failed:,}")
    return " · ".join(parts)


def finish_line(outlook: SendingOutlook) -> str | None:
    if outlook.finish_at is None:
        return None
    line = f"Expected to finish {when(outlook.finish_at, outlook.now, 'by')}"
    if outlook.carried:
        line += f"; today's limit carries {outlook.carried:,} to the next day"
    return line


def progress_text(batch: BatchSummary) -> str:
    """The lines the card and its notification text share."""
    done = batch.sent + batch.failed
    lines = [f"`{progress_bar(done, batch.invitations)}`", counts_line(batch)]
    if batch.outlook is not None:
        pause = pause_sentence(batch.outlook)
        if pause is not None:
            lines.append(f"Paused: {pause}")
        finish = finish_line(batch.outlook)
        if finish is not None:
            lines.append(finish)
    return "\n".join(lines)
