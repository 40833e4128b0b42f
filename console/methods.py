"""The Web API methods, as functions of the workspace and the call's arguments.

Each returns the body of a successful answer (`ok: true` is added by the caller) or raises
`SlackError`. Arguments arrive as slack_sdk sends them: JSON values, or strings from a form or
query string, where `blocks`, `attachments` and `view` are JSON-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from console.models import JSON, SlackError
from console.workspace import Workspace


class Args:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
            return None
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json_list(self, name: str) -> list[JSON] | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise SlackError(
                    f"invalid_{name}_format" if name == "blocks" else "invalid_arguments"
                ) from error
        if not isinstance(value, list):
            raise SlackError("invalid_blocks_format" if name == "blocks" else "invalid_arguments")
        return value

    def json_object(self, name: str) -> JSON:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise SlackError("invalid_arguments", [f"[ERROR] {name} is not valid JSON"]) from error
        if not isinstance(value, dict):
            raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
        return value


Method = Callable[[Workspace, Args], JSON]


def api_test(ws: Workspace, args: Args) -> JSON:
    return {"args": args.values}


def auth_test(ws: Workspace, args: Args) -> JSON:
    ident = ws.identity
    return {
        "url": f"https://{ident.team_domain}.slack.com/",
        "team": ident.team_name,
        "user": ident.bot_name,
        "team_id": ident.team_id,
        "user_id": ident.bot_user_id,
        "bot_id": ident.bot_id,
        "is_enterprise_install": False,
    }


_MESSAGE_EXTRAS = ("metadata", "unfurl_links", "unfurl_media", "mrkdwn", "reply_broadcast", "icon_emoji")


def chat_post_message(ws: Workspace, args: Args) -> JSON:
    message = ws.post_message(
        args.required("channel"),
        text=args.text("text") or "",
        blocks=args.json_list("blocks"),
        attachments=args.json_list("attachments"),
        thread_ts=args.text("thread_ts"),
        extra={k: args.values[k] for k in _MESSAGE_EXTRAS if k in args.values},
    )
    return {"channel": message.channel, "ts": message.ts, "message": message.to_slack(ws.identity)}


def chat_update(ws: Workspace, args: Args) -> JSON:
    message = ws.update_message(
        args.required("channel"),
        args.required("ts"),
        text=args.text("text"),
        blocks=args.json_list("blocks"),
        attachments=args.json_list("attachments"),
    )
    return {
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_slack(ws.identity),
    }


def chat_post_ephemeral(ws: Workspace, args: Args) -> JSON:
    ephemeral = ws.post_ephemeral(
        args.required("channel"),
        args.required("user"),
        text=args.text("text") or "",
        blocks=args.json_list("blocks"),
    )
    return {"message_ts": ephemeral.ts}


def chat_delete(ws: Workspace, args: Args) -> JSON:
    message = ws.delete_message(args.required("channel"), args.required("ts"))
    return {"channel": message.channel, "ts": message.ts}


def chat_get_permalink(ws: Workspace, args: Args) -> JSON:
    message = ws.find_message(args.required("channel"), args.required("message_ts"))
    domain = ws.identity.team_domain
    return {
        "channel": message.channel,
        "permalink": f"https://{domain}.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}",
    }


def views_open(ws: Workspace, args: Args) -> JSON:
    return {"view": ws.views.open(args.values.get("trigger_id"), args.json_object("view"))}


def views_push(ws: Workspace, args: Args) -> JSON:
    return {"view": ws.views.push(args.values.get("trigger_id"), args.json_object("view"))}


def views_update(ws: Workspace, args: Args) -> JSON:
    view = ws.views.update(
        args.json_object("view"),
        view_id=args.text("view_id"),
        external_id=args.text("external_id"),
        view_hash=args.text("hash"),
    )
    return {"view": view}


def views_publish(ws: Workspace, args: Args) -> JSON:
    view = ws.views.publish(args.text("user_id"), args.json_object("view"), view_hash=args.text("hash"))
    return {"view": view}


def users_info(ws: Workspace, args: Args) -> JSON:
    return {"user": ws.user(args.required("user")).to_slack(ws.identity.team_id)}


def users_lookup_by_email(ws: Workspace, args: Args) -> JSON:
    return {"user": ws.user_by_email(args.required("email")).to_slack(ws.identity.team_id)}


def usergroups_users_list(ws: Workspace, args: Args) -> JSON:
    return {"users": list(ws.usergroup(args.required("usergroup")).users)}


def conversations_info(ws: Workspace, args: Args) -> JSON:
    return {"channel": ws.channel(args.required("channel")).to_slack()}


def conversations_members(ws: Workspace, args: Args) -> JSON:
    channel = ws.channel(args.required("channel"))
    members = sorted(channel.members | ({ws.identity.bot_user_id} if channel.bot_is_member else set()))
    return {"members": members, "response_metadata": {"next_cursor": ""}}


def conversations_open(ws: Workspace, args: Args) -> JSON:
    channel_arg, users = args.text("channel"), args.text("users")
    if channel_arg is not None:
        channel = ws.channel(channel_arg)
    elif users is not None:
        wanted = [u.strip() for u in users.split(",") if u.strip()]
        if len(wanted) != 1:
            raise SlackError("invalid_arguments", ["[ERROR] the emulator opens one-to-one DMs only"])
        channel = ws.im_channel(wanted[0])
    else:
        raise SlackError("users_list_not_supplied")
    body = channel.to_slack() if args.flag("return_im") else {"id": channel.id}
    return {"channel": body}


METHODS: dict[str, Method] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "usergroups.users.list": usergroups_users_list,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
}
