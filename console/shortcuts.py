"""Global shortcuts: a person picks one of the app's shortcuts from the shortcuts (lightning) menu
and Slack sends the app a `shortcut` payload with a trigger_id to open a modal with."""

from __future__ import annotations

from typing import Protocol

from console.appconfig import AppConfig, GlobalShortcut
from console.models import JSON, AppIdentity, User
from console.payloads import interactivity_body, team_ref
from console.transport import Delivery, Outcome, RequestKind
from console.workspace import Workspace


def global_shortcut(
    identity: AppIdentity, *, user: User, callback_id: str, trigger_id: str, action_ts: str
) -> JSON:
    """ "type: Global shortcuts will return shortcut … callback_id: An ID that you defined when creating
    the shortcut. trigger_id: … can be used to open modals." A global shortcut carries no channel and
    no response_url: those come only with message shortcuts.
    (api.slack.com/reference/interaction-payloads/shortcuts; Bolt's GlobalShortcut type adds
    action_ts, team, user {id, username, team_id}, token, enterprise, is_enterprise_install.)"""
    return {
        "type": "shortcut",
        "token": identity.verification_token,
        "action_ts": action_ts,
        "team": team_ref(identity),
        "user": {"id": user.id, "username": user.name, "team_id": identity.team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }


class ShortcutDriver(Protocol):
    @property
    def workspace(self) -> Workspace: ...

    app: AppConfig

    def action_ts(self) -> str: ...

    def deliver(self, kind: RequestKind, body: bytes, what: str) -> tuple[Delivery, list[str]]: ...


def find_shortcut(app: AppConfig, name: str) -> GlobalShortcut:
    """A shortcut of the app's menu by its name or callback_id; only the manifest's global
    shortcuts are in the menu."""
    for shortcut in app.global_shortcuts.values():
        if name in (shortcut.name, shortcut.callback_id):
            return shortcut
    known = ", ".join(s.name for s in app.global_shortcuts.values()) or "none"
    raise LookupError(f"the app has no global shortcut {name!r} (its shortcuts: {known})")


def use_shortcut(driver: ShortcutDriver, user_id: str, name: str) -> Outcome:
    """The person picks `name` from the shortcuts menu; the app must ack within 3 s (Driver.deliver)."""
    ws = driver.workspace
    shortcut = find_shortcut(driver.app, name)
    trigger_id = ws.views.issue_trigger(user_id)
    payload = global_shortcut(
        ws.identity,
        user=ws.user(user_id),
        callback_id=shortcut.callback_id,
        trigger_id=trigger_id,
        action_ts=driver.action_ts(),
    )
    delivery, problems = driver.deliver(
        "interactivity", interactivity_body(payload), f"shortcut {shortcut.callback_id!r}"
    )
    return Outcome(delivery, trigger_id=trigger_id, problems=problems)
