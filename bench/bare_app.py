"""The ack-latency baseline: a bare Bolt app whose only listener acks `/backup`, served by the
same server as `deskops serve` (bot.web.server.create_web_app under uvicorn, same thread pool).

    python -m bench.bare_app PORT        # environment: SLACK_SIGNING_SECRET, SLACK_API_URL, ...
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import uvicorn
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.config import load_settings
from bot.web.metrics import Metrics
from bot.web.server import create_web_app
from bot.wiring import build_deps


def bare_bolt_app(signing_secret: str, client: WebClient) -> App:
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

    return app


def main(argv: list[str]) -> int:
    port = int(argv[0])
    folder = Path(tempfile.mkdtemp(prefix="deskops-bare-"))
    # Dependencies only for the routes create_web_app serves besides /slack/events (never called).
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'unused.db'}",
        smtp_url=str(folder / "outbox"),
        secret_key_file=str(folder / "secret"),
        _env_file=None,
    )
    deps = build_deps(settings)
    bolt = bare_bolt_app(os.environ["SLACK_SIGNING_SECRET"], deps.slack)
    web = create_web_app(bolt, deps, Metrics())
    uvicorn.run(web, host="127.0.0.1", port=port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
