"""The /backup surface: backup accounts (Add New User, Assign Service, settings, activation)."""

from __future__ import annotations

from slack_bolt import App

from commands.backup import (
    add_user,
    cards,
    command,
    customer_search,
    delete,
    edit,
    find,
    import_users,
    lifecycle,
    user_settings,
)


def register(app: App) -> None:
    command.register(app)
    add_user.register(app)
    user_settings.register(app)
    cards.register(app)
    customer_search.register(app)
    find.register(app)
    lifecycle.register(app)
    delete.register(app)
    edit.register(app)
    import_users.register(app)
