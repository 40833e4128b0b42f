"""App Home: published when a person opens the app's Home tab, and again after they act on it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from commands.errors import answers_errors
from commands.home_tab import refresh_home


@answers_errors
def publish_home(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    refresh_home(deps, client, str(event["user"]))


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)
