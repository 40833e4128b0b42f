"""The baseline of the Slack benchmarks: a bare Bolt app served by the same server as
`deskops serve` (bot.web.server.create_web_app under uvicorn, same thread pool), whose listeners
do nothing but what Slack requires:

- `/backup` acks (ack latency);
- an Add New User submission, and its Acronis Backup Settings step, ack with
  `response_action: clear` (submission ack);
- `app_home_opened` publishes a Home view read once from HOME_VIEW.json, the one deskops
  published (App Home);
- an options request of the type-ahead Customer field answers a static list of 100 options
  (type-ahead);
- with BARE_DIRECTORY_URL set (`ldap://host:port/<base DN>`, bound as BARE_DIRECTORY_BIND_DN),
  a Search click in Send Enrollment Invitation acks, runs deskops' two searches with ldap3 on a
  connection kept between clicks, and sends the view it was clicked in back with one
  `views.update` (invite search: the floor of any Python Slack app answering that click).

    python -m bench.bare_app PORT [HOME_VIEW.json]   # environment: SLACK_SIGNING_SECRET, ...
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.backup.ids import ActionId, CallbackId
from blocks.enroll.ids import ActionId as EnrollActionId
from blocks.enroll.ids import BlockId as EnrollBlockId
from bot.config import load_settings
from bot.serve import freeze_startup_heap
from bot.web.metrics import Metrics
from bot.web.server import create_web_app
from bot.wiring import build_deps


class FloorSearch:
    """deskops' two directory searches (the openldap profile's filters, attributes and size
    limit) with ldap3 alone, on one connection kept from the first click on."""

    def __init__(self, url: str, bind_dn: str, password: str, limit: int) -> None:
        from ldap3 import Connection, Server

        from bot.integrations.directory.profiles import PROFILES

        address, _, self.base = url.removeprefix("ldap://").partition("/")
        host, _, port = address.partition(":")
        self.profile = PROFILES["openldap"]
        self.limit = limit
        server = Server(host, port=int(port), get_info="NO_INFO")
        self.connection = Connection(server, user=bind_dn, password=password, auto_bind=True)

    def search(self, text: str, mode: str) -> int:
        from ldap3 import SUBTREE

        from bot.integrations.directory.port import MatchMode

        user_filter, group_filter = self.profile.search_filters(text, MatchMode(mode))
        found = 0
        for search_filter, attributes in (
            (user_filter, self.profile.user_attributes),
            (group_filter, self.profile.group_attributes),
        ):
            self.connection.search(
                self.base, search_filter, SUBTREE, attributes=list(attributes), size_limit=self.limit + 1
            )
            found += len(self.connection.response or [])
        return found


def _typed(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(iter(view["state"]["values"][block_id].values()))


def bare_bolt_app(
    signing_secret: str,
    client: WebClient,
    home_view: dict[str, Any] | None = None,
    directory: FloorSearch | None = None,
) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.command("/backup")
    def only_ack(ack: Ack) -> None:
        ack()

    @app.view(CallbackId.ADD_USER)
    @app.view(CallbackId.ADD_USER_BACKUP_SETTINGS)
    def close_modal(ack: Ack) -> None:
        ack(response_action="clear")

    static_options = [
        {"text": {"type": "plain_text", "text": f"Customer {n:03d}"}, "value": str(n)} for n in range(100)
    ]

    @app.options(ActionId.CUSTOMER_SEARCH)
    def answer_static_options(ack: Ack) -> None:
        ack(options=static_options)

    if directory is not None:

        @app.action(EnrollActionId.SEARCH)
        def search_and_update(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            view = body["view"]
            text = _typed(view, EnrollBlockId.SEARCH)["value"]
            mode = _typed(view, EnrollBlockId.MATCH_MODE)["selected_option"]["value"]
            directory.search(text, mode)
            sent = {key: view[key] for key in ("type", "callback_id", "title", "submit", "close", "blocks")}
            client.views_update(
                view_id=view["id"], view={**sent, "private_metadata": view["private_metadata"]}
            )

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=home_view or {"type": "home", "blocks": []})

    return app


def main(argv: list[str]) -> int:
    port = int(argv[0])
    home_view = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 else None
    folder = Path(tempfile.mkdtemp(prefix="deskops-bare-"))
    # Dependencies only for the routes create_web_app serves besides /slack/events (never called).
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'unused.db'}",
        smtp_url=str(folder / "outbox"),
        secret_key_file=str(folder / "secret"),
        _env_file=None,
    )
    deps = build_deps(settings)
    directory = None
    if url := os.environ.get("BARE_DIRECTORY_URL"):
        directory = FloorSearch(
            url,
            os.environ["BARE_DIRECTORY_BIND_DN"],
            os.environ["BARE_DIRECTORY_BIND_PASSWORD"],
            int(os.environ.get("BARE_DIRECTORY_LIMIT", "8")),
        )
    bolt = bare_bolt_app(os.environ["SLACK_SIGNING_SECRET"], deps.slack, home_view, directory)
    web = create_web_app(bolt, deps, Metrics())
    freeze_startup_heap()  # as `deskops serve` does: the baseline has no collector pauses of its start-up heap either
    uvicorn.run(web, host="127.0.0.1", port=port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
