"""What the Slack layer reads about users to render them, each in its own read transaction."""

from __future__ import annotations

from bot.accounts.queries import activation_mail_problem, get_user, last_activation_sent
from bot.accounts.summary import UserSummary, summarize
from bot.db import Database


def user_card_summary(db: Database, user_id: int) -> UserSummary:
    """The user as their card shows them: status, services, the activation e-mail's state."""
    with db.read() as session:
        user = get_user(session, user_id)
        return summarize(
            user,
            activation_sent_at=last_activation_sent(session, user_id),
            activation_problem=activation_mail_problem(session, user_id),
        )
