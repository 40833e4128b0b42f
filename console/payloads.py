"""Builders of what Slack sends to an app's request URL, in Slack's shapes:

* slash commands: a form (`token, team_id, team_domain, channel_id, channel_name, user_id,
  user_name, command, text, api_app_id, is_enterprise_install, response_url, trigger_id`);
* interactivity (`block_actions`, `view_submission`, `view_closed`): a form with one field,
  `payload=<json>`;
* events (`app_home_opened`): a JSON `event_callback` envelope.

Pure functions: the driver supplies ids, trigger_ids and response_urls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from console.models import JSON, AppIdentity, Channel, User


def team_ref(identity: AppIdentity) -> JSON:
    return {"id": identity.team_id, "domain": identity.team_domain}


def user_ref(identity: AppIdentity, user: User) -> JSON:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": identity.team_id}


def channel_name(channel: Channel) -> str:
    return "directmessage" if channel.is_im else channel.name


def slash_command(
    identity: AppIdentity,
    *,
    user: User,
    channel: Channel,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "team_domain": identity.team_domain,
        "channel_id": channel.id,
        "channel_name": channel_name(channel),
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def element_action(element: Mapping[str, Any], block_id: str, *, action_ts: str, selection: JSON) -> JSON:
    """One entry of `actions`: the element's identity plus what was chosen (`value`,
    `selected_option`, `selected_options`, `selected_date`, …, as in `selection`)."""
    kind = str(element["type"])
    action: JSON = {"type": kind, "block_id": block_id, "action_id": element["action_id"]}
    if kind == "button":
        action["text"] = copy.deepcopy(element.get("text"))
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
    action.update(copy.deepcopy(selection))
    if "placeholder" in element:
        action["placeholder"] = copy.deepcopy(element["placeholder"])
    for key in ("initial_date", "initial_time", "initial_option"):
        if key in element and kind in ("datepicker", "timepicker", "static_select"):
            action[key] = copy.deepcopy(element[key])
    action["action_ts"] = action_ts
    return action


def block_actions(
    identity: AppIdentity,
    *,
    user: User,
    trigger_id: str,
    actions: list[JSON],
    view: JSON | None = None,
    message: JSON | None = None,
    channel: Channel | None = None,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
    response_url: str | None = None,
) -> JSON:
    """A `block_actions` payload from a view (modal or Home tab) or from a message in `channel`."""
    payload: JSON = {
        "type": "block_actions",
        "user": user_ref(identity, user),
        "api_app_id": identity.app_id,
        "token": identity.verification_token,
        "trigger_id": trigger_id,
        "team": team_ref(identity),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = copy.deepcopy(view)
    elif channel is not None and message_ts is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel.id, "name": channel_name(channel)}
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
    else:
        raise ValueError("block_actions come from a view or from a message in a channel")
    payload["actions"] = actions
    return payload


def view_submission(identity: AppIdentity, *, user: User, trigger_id: str, view: JSON) -> JSON:
    return {
        "type": "view_submission",
        "team": team_ref(identity),
        "user": user_ref(identity, user),
        "api_app_id": identity.app_id,
        "token": identity.verification_token,
        "trigger_id": trigger_id,
        "view": copy.deepcopy(view),
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed(identity: AppIdentity, *, user: User, view: JSON, is_cleared: bool) -> JSON:
    return {
        "type": "view_closed",
        "team": team_ref(identity),
        "user": user_ref(identity, user),
        "api_app_id": identity.app_id,
        "token": identity.verification_token,
        "view": copy.deepcopy(view),
        "is_cleared": is_cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def app_home_opened(
    identity: AppIdentity,
    *,
    user_id: str,
    channel_id: str,
    view: JSON | None,
    event_id: str,
    event_time: int,
    event_ts: str,
) -> JSON:
    """The `event_callback` envelope of an `app_home_opened` event (tab "home")."""
    event: JSON = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": "home",
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }


def form_body(fields: Mapping[str, str]) -> bytes:
    return urlencode(fields).encode("utf-8")


def interactivity_body(payload: JSON) -> bytes:
    """Interactivity requests are a form with a single `payload` field holding the JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def event_body(envelope: JSON) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")
