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
- with BARE_DATABASE_URL set (PostgreSQL) and BARE_PUSH_VIEW (a view file), Add New User does
  the least any app that records a new user before answering must: the e-mail address checked
  (email-validator) and looked up (one SELECT), the ack pushing BARE_PUSH_VIEW; the settings step
  inserts the user and one queued follow-up in one transaction and acks `response_action:
  clear` (submission ack: the floor of any Python Slack app doing that work);
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
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.backup.ids import ActionId, CallbackId
from blocks.enroll.ids import ActionId as EnrollActionId
from blocks.enroll.ids import BlockId as EnrollBlockId
from bot.accounts.forms import Field
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


class FloorWrites:
    """A new user recorded with SQLAlchemy Core in a table of its own: looked up by e-mail at
    the details step, inserted with one queued follow-up at the settings step."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, text

        # The pool `deskops serve` has on PostgreSQL (bot/db.py).
        self.engine = create_engine(url, pool_size=10, max_overflow=20)
        with self.engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS floor_users (id bigserial PRIMARY KEY, email text "
                    "UNIQUE NOT NULL, first_name text NOT NULL, last_name text NOT NULL, "
                    "created_at timestamptz NOT NULL DEFAULT now())"
                )
            )
            connection.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS floor_outbox (id bigserial PRIMARY KEY, kind text "
                    "NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
                )
            )

    def email_taken(self, email: str) -> bool:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM floor_users WHERE email = :email"), {"email": email}
            )
            return found.first() is not None

    def create(self, first_name: str, last_name: str) -> None:
        from sqlalchemy import text

        # The settings step's view carries the person sealed: a fresh address stands in for it.
        email = f"{uuid.uuid4().hex}@floor.example"
        with self.engine.begin() as connection:
            created = connection.execute(
                text(
                    "INSERT INTO floor_users (email, first_name, last_name) VALUES (:email, :first, :last) "
                    "RETURNING id"
                ),
                {"email": email, "first": first_name, "last": last_name},
            ).scalar_one()
            connection.execute(
                text("INSERT INTO floor_outbox (kind, payload) VALUES ('card', :payload)"),
                {"payload": json.dumps({"user_id": created})},
            )


def _typed(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(iter(view["state"]["values"][block_id].values()))


def bare_bolt_app(
    signing_secret: str,
    client: WebClient,
    home_view: dict[str, Any] | None = None,
    directory: FloorSearch | None = None,
    writes: tuple[FloorWrites, dict[str, Any]] | None = None,
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

    if writes is None:

        @app.view(CallbackId.ADD_USER)
        @app.view(CallbackId.ADD_USER_BACKUP_SETTINGS)
        def close_modal(ack: Ack) -> None:
            ack(response_action="clear")

    else:
        database, pushed = writes

        @app.view(CallbackId.ADD_USER)
        def check_and_push(ack: Ack, view: dict[str, Any]) -> None:
            from email_validator import EmailNotValidError, validate_email

            typed = _typed(view, Field.EMAIL).get("value") or ""
            try:
                email = validate_email(typed, check_deliverability=False).normalized
            except EmailNotValidError as error:
                ack(response_action="errors", errors={Field.EMAIL: str(error)})
                return
            if database.email_taken(email):
                ack(response_action="errors", errors={Field.EMAIL: "taken"})
                return
            ack(response_action="push", view=pushed)

        @app.view(CallbackId.ADD_USER_BACKUP_SETTINGS)
        def create_and_close(ack: Ack) -> None:
            database.create("Bench", "Floor")
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
    writes = None
    if url := os.environ.get("BARE_DATABASE_URL"):
        pushed = json.loads(Path(os.environ["BARE_PUSH_VIEW"]).read_text(encoding="utf-8"))
        writes = (FloorWrites(url), pushed)
    bolt = bare_bolt_app(os.environ["SLACK_SIGNING_SECRET"], deps.slack, home_view, directory, writes)
    web = create_web_app(bolt, deps, Metrics())
    freeze_startup_heap()  # as `deskops serve` does: the baseline has no collector pauses of its start-up heap either
    uvicorn.run(web, host="127.0.0.1", port=port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
