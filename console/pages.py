"""The console page, drawn from the workspace for one person at one place.

The page has four regions the browser refreshes independently: `nav` (channels, the app, the
Outbox), `main` (a channel's messages, the app's Home tab, or the Outbox), `modal` (the top of the
person's modal stack) and `problems` (what Slack would have refused). Each region comes with a
key (a hash of its HTML): the browser replaces a region only when its key changed, so typing in
a modal is never interrupted by an unrelated update.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from console.html_blocks import render_blocks
from console.html_elements import Surface, text_of
from console.models import JSON, Channel, Ephemeral, Message
from console.mrkdwn import RenderContext, render_mrkdwn
from console.outbox import OutboxFolder
from console.workspace import Workspace

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
MAX_PROBLEMS_SHOWN = 5


@dataclass(frozen=True)
class Persona:
    """Someone the console can act as, with the part they play (shown in the switcher)."""

    user_id: str
    role: str


@dataclass(frozen=True)
class Place:
    """Where the person is looking: `channel:<id>`, `home`, `outbox` or `outbox:<file name>`."""

    kind: str
    ref: str = ""

    @classmethod
    def parse(cls, text: str) -> Place:
        kind, _, ref = text.partition(":")
        if kind in ("channel", "outbox") or (kind == "home" and not ref):
            return cls(kind, ref)
        raise ValueError(f"unknown place {text!r}")


@dataclass(frozen=True)
class Region:
    key: str
    html: str

    @classmethod
    def of(cls, html: str) -> Region:
        return cls(hashlib.sha256(html.encode("utf-8")).hexdigest()[:20], html)


class ClientErrors:
    """What the Slack client itself shows under fields before sending (a required field left
    empty, an address that is not one), by view id: until the next submit, or until the app
    updates the view (a new hash)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_view: dict[str, tuple[str, dict[str, str]]] = {}

    def set(self, view_id: str, view_hash: str, errors: Mapping[str, str]) -> None:
        with self._lock:
            if errors:
                self._by_view[view_id] = (view_hash, dict(errors))
            else:
                self._by_view.pop(view_id, None)

    def get(self, view_id: str, view_hash: str) -> dict[str, str]:
        with self._lock:
            shown_for, errors = self._by_view.get(view_id, ("", {}))
            return dict(errors) if shown_for == view_hash else {}


def initials(name: str) -> str:
    letters = [part[0] for part in name.replace(".", " ").split() if part]
    return ("".join(letters[:2]) or "?").upper()


class ConsolePages:
    def __init__(
        self,
        workspace: Workspace,
        outbox: OutboxFolder,
        personas: Sequence[Persona],
        client_errors: ClientErrors | None = None,
        *,
        prefix: str = "/console",
    ) -> None:
        self.prefix = prefix
        self.ws = workspace
        self.outbox = outbox
        self.personas = list(personas)
        self.client_errors = client_errors or ClientErrors()

    # --- context --------------------------------------------------------------------------

    def context(self, user_id: str) -> RenderContext:
        ws = self.ws
        with ws.lock:
            users = {u.id: u.real_name or u.name for u in ws.users.values() if not u.deleted}
            channels = {c.id: c.name for c in ws.channels.values() if not c.is_im}
            groups = {g.id: g.handle for g in ws.usergroups.values()}
            tz_name = ws.users[user_id].tz if user_id in ws.users else "UTC"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        return RenderContext(users=users, channels=channels, usergroups=groups, tz=tz, now=ws.now())

    def regions(self, user_id: str, place: Place) -> dict[str, Region]:
        ctx = self.context(user_id)
        mails = self.outbox.list()
        return {
            "nav": Region.of(self.nav(user_id, place, len(mails))),
            "main": Region.of(self.main(user_id, place, ctx)),
            "modal": Region.of(self.modal(user_id, ctx)),
            "problems": Region.of(self.problems()),
        }

    # --- regions --------------------------------------------------------------------------

    def nav(self, user_id: str, place: Place, mail_count: int) -> str:
        with self.ws.lock:
            channels = sorted(
                (c for c in self.ws.channels.values() if not c.is_im and user_id in c.members),
                key=lambda c: c.name,
            )
            dm = self.ws.im_channel(user_id).id
            rows = [(c.id, c.name, c.bot_is_member, c.is_private) for c in channels]
        return TEMPLATES.get_template("nav.html").render(
            team=self.ws.identity.team_name,
            app=self.ws.identity.bot_name,
            channels=rows,
            dm=dm,
            place=place,
            mail_count=mail_count,
        )

    def main(self, user_id: str, place: Place, ctx: RenderContext) -> str:
        if place.kind == "home":
            return self.home(user_id, ctx)
        if place.kind == "outbox":
            return self.outbox_page(place.ref, ctx)
        return self.channel(user_id, place.ref, ctx)

    def channel(self, user_id: str, channel_id: str, ctx: RenderContext) -> str:
        ws = self.ws

        def read() -> tuple[Channel, list[Message], list[Ephemeral]]:
            channel = ws.im_channel(user_id) if channel_id == "dm" else ws.channels[channel_id]
            return channel, ws.messages(channel.id), ws.ephemerals(user=user_id, channel=channel.id)

        try:
            channel, messages, ephemerals = ws.snapshot(read)
        except KeyError:
            return TEMPLATES.get_template("missing.html").render(what="This channel does not exist.")
        items = [self._message(m, i, ctx) for i, m in enumerate(messages)]
        items += [self._ephemeral(e, i, ctx) for i, e in enumerate(ephemerals)]
        items.sort(key=lambda item: (item["sort"], item["ts"]))
        return TEMPLATES.get_template("channel.html").render(
            channel=channel, app=ws.identity.bot_name, items=items, prefix=self.prefix
        )

    def home(self, user_id: str, ctx: RenderContext) -> str:
        view = self.ws.views.home(user_id)
        body = None
        if view is not None:
            surface = Surface(ctx, prefix="home", state=view["state"]["values"])
            body = render_blocks(view["blocks"], surface)
        return TEMPLATES.get_template("home.html").render(
            app=self.ws.identity.bot_name, view_id=view["id"] if view else "", body=body
        )

    def modal(self, user_id: str, ctx: RenderContext) -> str:
        stack = self.ws.views.stack(user_id)
        if not stack:
            return ""
        view = stack[-1]
        errors = {**self.ws.views.errors(view["id"]), **self.client_errors.get(view["id"], view["hash"])}
        surface = Surface(ctx, prefix="modal", state=view["state"]["values"], errors=errors)
        return TEMPLATES.get_template("modal.html").render(
            view=view,
            depth=len(stack),
            title=text_of(view.get("title"), ctx),
            close=text_of(view.get("close"), ctx) or "Cancel",
            submit=text_of(view.get("submit"), ctx),
            body=render_blocks(view["blocks"], surface),
        )

    def problems(self) -> str:
        found = self.ws.problems
        return TEMPLATES.get_template("problems.html").render(
            problems=found[-MAX_PROBLEMS_SHOWN:], total=len(found)
        )

    def outbox_page(self, name: str, ctx: RenderContext) -> str:
        mails = self.outbox.list()
        chosen = None
        if name:
            try:
                chosen = self.outbox.read(name)
            except (LookupError, OSError):
                chosen = None
        return TEMPLATES.get_template("outbox.html").render(
            mails=mails, chosen=chosen, description=self.outbox.description, tz=ctx.tz, prefix=self.prefix
        )

    # --- timeline items -------------------------------------------------------------------

    def _author(self, user_id: str | None, bot: bool) -> dict[str, Any]:
        if bot:
            return {"name": self.ws.identity.bot_name, "initials": "do", "is_app": True}
        user = self.ws.users.get(user_id or "")
        name = (user.real_name or user.name) if user else (user_id or "someone")
        return {"name": name, "initials": initials(name), "is_app": False}

    def _when(self, ts: str, ctx: RenderContext) -> dict[str, str]:
        moment = datetime.fromtimestamp(float(ts), UTC)
        local = moment.astimezone(ctx.tz)
        return {"iso": moment.isoformat(), "time": local.strftime("%H:%M"), "full": local.strftime("%c %Z")}

    def _message(self, message: Message, index: int, ctx: RenderContext) -> dict[str, Any]:
        body = self._body(message.text, message.blocks, message.attachments, ctx, prefix=f"m{index}")
        thread = message.thread_ts if message.thread_ts not in (None, message.ts) else None
        return {
            "kind": "message",
            "ts": message.ts,
            "sort": thread or message.ts,
            "reply": thread is not None,
            "channel": message.channel,
            "author": self._author(message.user, message.bot_id is not None),
            "when": self._when(message.ts, ctx),
            "edited": message.edited,
            "body": body,
            # Files shared with the message (files.completeUploadExternal), offered for download.
            "files": [
                {"id": str(f.get("id")), "name": str(f.get("name")), "size": int(f.get("size") or 0)}
                for f in message.extra.get("files", [])
                if isinstance(f, dict)
            ],
        }

    def _ephemeral(self, ephemeral: Ephemeral, index: int, ctx: RenderContext) -> dict[str, Any]:
        body = self._body(ephemeral.text, ephemeral.blocks, [], ctx, prefix=f"e{index}")
        return {
            "kind": "ephemeral",
            "ts": ephemeral.ts,
            "sort": ephemeral.ts,
            "reply": False,
            "id": ephemeral.id,
            "channel": ephemeral.channel,
            "author": self._author(None, True),
            "when": self._when(ephemeral.ts, ctx),
            "edited": False,
            "body": body,
            "files": [],
        }

    def _body(
        self, text: str, blocks: list[JSON], attachments: list[JSON], ctx: RenderContext, *, prefix: str
    ) -> Markup:
        surface = Surface(ctx, prefix=prefix)
        parts = [render_blocks(blocks, surface) if blocks else render_mrkdwn(text, ctx)]
        for number, attachment in enumerate(attachments):
            parts.append(self._attachment(attachment, Surface(ctx, prefix=f"{prefix}-a{number}")))
        return Markup("").join(parts)

    def _attachment(self, attachment: Mapping[str, Any], surface: Surface) -> Markup:
        color = str(attachment.get("color", ""))
        tone = color if color in ("good", "warning", "danger") else "plain"
        inner = [
            render_mrkdwn(str(attachment.get(key)), surface.ctx)
            for key in ("pretext", "text")
            if attachment.get(key)
        ]
        if isinstance(attachment.get("blocks"), list):
            inner.append(render_blocks(attachment["blocks"], surface))
        return Markup('<div class="attachment tone-{}">{}</div>').format(tone, Markup("").join(inner))
