"""`/enroll status [email]` and its pages: people and invitations, each list paged on its own."""

from __future__ import annotations

import re
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.enroll.ids import ActionId
from blocks.enroll.messages import status_message
from blocks.enroll.metadata import StatusPageRef
from bot.deps import Deps
from bot.enrollment.status import FIRST_PAGE, StatusPage, enrollment_status
from commands.access import require_helpdesk
from commands.errors import answers_errors
from commands.state import carried


def status_blocks(deps: Deps, email: str | None, page: StatusPage = FIRST_PAGE) -> list[dict[str, Any]]:
    summary = enrollment_status(
        deps.db, email=email, per_licence=deps.settings.devices_per_licence, now=deps.clock.now(), page=page
    )
    return [block.to_dict() for block in status_message(summary, request_nonce=uuid.uuid4().hex)]


@answers_errors
def page_clicked(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    ack()
    ref = carried(StatusPageRef, body["actions"][0].get("value"))
    page = StatusPage(people_offset=ref.people_offset, invitations_offset=ref.invitations_offset)
    blocks = status_blocks(deps, ref.email, page)
    respond(blocks=blocks, text="Enrollment status", response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    app.action(re.compile(rf"^{re.escape(ActionId.STATUS_PAGE)}\."), middleware=[require_helpdesk])(
        page_clicked
    )
