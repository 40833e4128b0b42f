"""Acting as a person in Slack: slash commands, clicks, modal submissions, App Home — sent to the
app signed, exactly as Slack sends them, with the app's answer applied as Slack would apply it.

With Socket Mode on (`socket_mode`), the same payloads go to the app as envelopes over its
WebSocket and the app's acks stand for the HTTP answers.

Anything Slack would refuse or show as an error (an ack slower than 3 s, a non-200 answer, a bad
`response_action`) is recorded in the workspace's problems; tests assert there are none.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from console import payloads
from console.appconfig import AppConfig
from console.models import JSON, Ephemeral, Message, SlackError
from console.shortcuts import use_shortcut
from console.socketmode import SocketMode
from console.suggestions import OfferedOptions, OptionsOutcome, request_options
from console.transport import Delivery, Outcome, RequestKind, SentRequest, SlackSender
from console.viewhandle import SubmitResult, ViewHandle, client_errors, selection_for
from console.viewstate import find_action, input_block_ids, random_id
from console.workspace import Workspace

ACK_DEADLINE_MS = 3000.0


class Driver:
    def __init__(
        self,
        workspace: Workspace,
        sender: SlackSender,
        *,
        response_url_base: str,
        socket_mode: SocketMode | None = None,
        timeout: float = 10.0,
        app: AppConfig | None = None,
    ) -> None:
        self.workspace = workspace
        self.sender = sender
        self.response_url_base = response_url_base.rstrip("/")
        self.socket_mode = socket_mode
        self.timeout = timeout
        self.app = app or AppConfig()
        self.offered = OfferedOptions()

    def person(self, user_id: str) -> Person:
        self.workspace.user(user_id)
        return Person(self, user_id)

    # --- sending --------------------------------------------------------------------------

    def deliver(self, kind: RequestKind, body: bytes, what: str) -> tuple[Delivery, list[str]]:
        """Send like Slack; return the answer and the problems Slack would have with it."""
        if self.socket_mode is not None:
            delivery = self.socket_mode.deliver(kind, body, timeout=self.timeout)
        else:
            delivery = self.sender.send(SentRequest(kind, body))
        problems = []
        if delivery.error is not None:
            problems.append(f"{what}: no answer from the app ({delivery.error})")
        elif delivery.status != 200:
            problems.append(f"{what}: the app answered HTTP {delivery.status} (Slack shows an error)")
        if delivery.elapsed_ms > ACK_DEADLINE_MS:
            problems.append(
                f"{what}: ack took {delivery.elapsed_ms:.0f} ms (> 3000 ms, Slack shows an error)"
            )
        for problem in problems:
            self.workspace.add_problem(problem)
        return delivery, problems

    def response_url(self, user_id: str, channel_id: str, **original: str | None) -> str:
        target = self.workspace.new_response_target(user_id, channel_id, **original)
        return f"{self.response_url_base}/response/{target}"

    def action_ts(self) -> str:
        return self.workspace.new_ts()

    # --- views ----------------------------------------------------------------------------

    def view_action(self, user_id: str, view_id: str, block: JSON, element: JSON, selection: JSON) -> Outcome:
        """block_actions from an element of a modal or Home tab (the view's state already updated)."""
        ws = self.workspace
        view = ws.views.get(view_id)
        trigger_id = ws.views.issue_trigger(user_id, view_id=view_id)
        action = payloads.element_action(
            element, str(block.get("block_id")), action_ts=self.action_ts(), selection=selection
        )
        payload = payloads.block_actions(
            ws.identity, user=ws.user(user_id), trigger_id=trigger_id, actions=[action], view=view
        )
        what = f"block_actions {element.get('action_id')!r} in view {view.get('callback_id')!r}"
        delivery, problems = self.deliver("interactivity", payloads.interactivity_body(payload), what)
        return Outcome(delivery, trigger_id=trigger_id, problems=problems)

    def suggest(self, user_id: str, view_id: str, block: JSON, element: JSON, typed: str) -> OptionsOutcome:
        """Typing into an external select of a view: Slack's options request (see suggestions)."""
        return request_options(self, user_id, view_id, block, element, typed)

    def submit(self, user_id: str, view_id: str, *, force: bool) -> SubmitResult:
        ws = self.workspace
        stack = ws.views.stack(user_id)
        if not stack or stack[-1]["id"] != view_id:
            raise RuntimeError(f"view {view_id} is not the top of {user_id}'s modal stack")
        view = stack[-1]
        blocked = {} if force else client_errors(view)
        if blocked:
            return SubmitResult(None, dict(blocked), ViewHandle(self, user_id, view_id), False, blocked, [])
        trigger_id = ws.views.issue_trigger(user_id, view_id=view_id)
        payload = payloads.view_submission(
            ws.identity, user=ws.user(user_id), trigger_id=trigger_id, view=view
        )
        what = f"view_submission {view.get('callback_id')!r}"
        delivery, problems = self.deliver("interactivity", payloads.interactivity_body(payload), what)
        if problems:
            return SubmitResult(delivery, None, self._top(user_id), False, None, problems)
        answer = delivery.json()
        if not delivery.body.strip():
            ws.views.close_top_after_submit(user_id)
            return SubmitResult(delivery, None, self._top(user_id), True, None, [])
        if not isinstance(answer, dict):
            return self._bad_answer(delivery, user_id, f"{what}: the ack body is not a JSON object")
        return self._response_action(delivery, user_id, view, answer, what)

    def _response_action(
        self, delivery: Delivery, user_id: str, view: JSON, answer: JSON, what: str
    ) -> SubmitResult:
        ws = self.workspace
        action = answer.get("response_action")
        try:
            if action == "errors":
                errors = answer.get("errors")
                if not isinstance(errors, dict) or not errors:
                    return self._bad_answer(
                        delivery, user_id, f"{what}: response_action errors without errors"
                    )
                inputs = set(input_block_ids(view["blocks"]))
                strays = [key for key in errors if key not in inputs]
                if strays:
                    return self._bad_answer(
                        delivery,
                        user_id,
                        f"{what}: errors for {strays}, not input block_ids of the view {sorted(inputs)}",
                    )
                ws.views.set_errors(view["id"], {k: str(v) for k, v in errors.items()})
                return SubmitResult(delivery, dict(errors), self._top(user_id), False, None, [])
            if action == "update":
                ws.views.respond_update(view["id"], answer.get("view"))
                return SubmitResult(delivery, None, self._top(user_id), False, None, [])
            if action == "push":
                ws.views.respond_push(user_id, answer.get("view"))
                return SubmitResult(delivery, None, self._top(user_id), False, None, [])
            if action == "clear":
                ws.views.clear(user_id)
                return SubmitResult(delivery, None, None, True, None, [])
        except SlackError as error:
            problem = f"{what}: response_action {action}: {error}"
            return self._bad_answer(delivery, user_id, problem, record=not error.recorded)
        if action is None and set(answer) <= {"ok"}:
            ws.views.close_top_after_submit(user_id)
            return SubmitResult(delivery, None, self._top(user_id), True, None, [])
        return self._bad_answer(delivery, user_id, f"{what}: unknown response_action {action!r}")

    def _bad_answer(
        self, delivery: Delivery, user_id: str, problem: str, *, record: bool = True
    ) -> SubmitResult:
        if record:
            self.workspace.add_problem(problem)
        return SubmitResult(delivery, None, self._top(user_id), False, None, [problem])

    def _top(self, user_id: str) -> ViewHandle | None:
        top = self.workspace.views.top(user_id)
        return ViewHandle(self, user_id, str(top["id"])) if top else None

    def close(self, user_id: str) -> Outcome | None:
        """Close the top modal; view_closed goes to the app only when the view asked (notify_on_close)."""
        ws = self.workspace
        closed = ws.views.close_top(user_id)
        view = closed.views[0]
        if not view.get("notify_on_close"):
            return None
        payload = payloads.view_closed(
            ws.identity, user=ws.user(user_id), view=view, is_cleared=closed.is_cleared
        )
        what = f"view_closed {view.get('callback_id')!r}"
        delivery, problems = self.deliver("interactivity", payloads.interactivity_body(payload), what)
        return Outcome(delivery, problems=problems)

    # --- waiting --------------------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], Any], *, timeout: float, message: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                problems = self.workspace.problems
                hint = f"; recorded problems: {problems}" if problems else ""
                raise TimeoutError(f"{message} (waited {timeout} s){hint}")
            time.sleep(0.02)


class Person:
    """One person of the workspace, doing what people do in Slack."""

    def __init__(self, driver: Driver, user_id: str) -> None:
        self.driver = driver
        self.user_id = user_id

    @property
    def _ws(self) -> Workspace:
        return self.driver.workspace

    def slash(self, command: str, text: str = "", *, channel: str | None = None) -> Outcome:
        """Type `/command text` in `channel` (default: the app's DM). The ack body, if any, is what
        Slack shows: an ephemeral message, or a channel message with response_type in_channel."""
        ws = self._ws
        if channel is not None and channel not in ws.channels:
            raise LookupError(f"no channel {channel}: add_channel() it first")
        target = ws.channels[channel] if channel is not None else ws.im_channel(self.user_id)
        trigger_id = ws.views.issue_trigger(self.user_id)
        form = payloads.slash_command(
            ws.identity,
            user=ws.user(self.user_id),
            channel=target,
            command=command,
            text=text,
            response_url=self.driver.response_url(self.user_id, target.id),
            trigger_id=trigger_id,
        )
        what = f"{command} {text}".strip()
        delivery, problems = self.driver.deliver("command", payloads.form_body(form), what)
        outcome = Outcome(delivery, trigger_id=trigger_id, problems=problems)
        if not problems and delivery.body.strip():
            self._show_ack(outcome, target.id, what)
        return outcome

    def _show_ack(self, outcome: Outcome, channel_id: str, what: str) -> None:
        answer = outcome.delivery.json()
        if not isinstance(answer, dict):
            answer = {"text": outcome.delivery.text}
        text, blocks = str(answer.get("text") or ""), answer.get("blocks")
        try:
            if answer.get("response_type") == "in_channel":
                outcome.message = self._ws.post_message(
                    channel_id, text=text, blocks=blocks, user=None, where=f"{what}: ack"
                )
            else:
                outcome.ephemeral = self._ws.post_ephemeral(
                    channel_id, self.user_id, text=text, blocks=blocks, source="ack", where=f"{what}: ack"
                )
        except SlackError as error:
            problem = f"{what}: Slack cannot show the ack body ({error})"
            if not error.recorded:
                self._ws.add_problem(problem)
            outcome.problems.append(problem)

    def shortcut(self, name: str) -> Outcome:
        """Pick the app's global shortcut `name` (or callback_id) from the shortcuts menu."""
        return use_shortcut(self.driver, self.user_id, name)

    # --- messages -------------------------------------------------------------------------

    def click(self, message: Message | Ephemeral, action_id: str, *, value: str | None = None) -> Outcome:
        """Click a button of a channel message or of an ephemeral message shown to this person."""
        return self._message_action(message, action_id, value=value, chosen=None)

    def choose(self, message: Message | Ephemeral, action_id: str, chosen: str | list[str]) -> Outcome:
        """Pick option value(s) in a select menu, overflow, radio or checkboxes of a message."""
        return self._message_action(message, action_id, value=None, chosen=chosen)

    def _message_action(
        self,
        message: Message | Ephemeral,
        action_id: str,
        *,
        value: str | None,
        chosen: str | list[str] | None,
    ) -> Outcome:
        ws = self._ws
        if isinstance(message, Ephemeral):
            current_eph = ws.ephemeral(message.id)
            if current_eph.deleted or current_eph.user != self.user_id:
                raise LookupError(f"{self.user_id} does not see ephemeral message {message.id}")
            blocks, channel_id, ts, body = current_eph.blocks, current_eph.channel, current_eph.ts, None
            original: dict[str, str | None] = {"ephemeral_id": message.id}
        else:
            current = ws.find_message(message.channel, message.ts)
            blocks, channel_id, ts = current.blocks, current.channel, current.ts
            body, original = current.to_slack(ws.identity), {"message_ts": current.ts}
        block, element = find_action(blocks, action_id, value)
        selection = selection_for(element, chosen)
        trigger_id = ws.views.issue_trigger(self.user_id)
        action = payloads.element_action(
            element, str(block.get("block_id")), action_ts=self.driver.action_ts(), selection=selection
        )
        payload = payloads.block_actions(
            ws.identity,
            user=ws.user(self.user_id),
            trigger_id=trigger_id,
            actions=[action],
            message=body,
            channel=ws.channels[channel_id],
            message_ts=ts,
            is_ephemeral=isinstance(message, Ephemeral),
            response_url=self.driver.response_url(self.user_id, channel_id, **original),
        )
        delivery, problems = self.driver.deliver(
            "interactivity", payloads.interactivity_body(payload), f"block_actions {action_id!r} in a message"
        )
        return Outcome(delivery, trigger_id=trigger_id, problems=problems)

    # --- modals and App Home ----------------------------------------------------------------

    @property
    def modal(self) -> ViewHandle | None:
        """The top of this person's modal stack, if a modal is open."""
        top = self._ws.views.top(self.user_id)
        return ViewHandle(self.driver, self.user_id, str(top["id"])) if top else None

    def wait_for_view(self, *, callback_id: str | None = None, timeout: float = 5.0) -> ViewHandle:
        """The top of this person's modal stack, once there is one (with `callback_id`, if given)."""

        def ready() -> JSON | None:
            top = self._ws.views.top(self.user_id)
            return top if top and (callback_id is None or top.get("callback_id") == callback_id) else None

        top = self.driver.wait_until(
            ready, timeout=timeout, message=f"no modal {callback_id or ''} for {self.user_id}"
        )
        return ViewHandle(self.driver, self.user_id, str(top["id"]))

    def open_home(self) -> Outcome:
        """Open the app's Home tab: Slack sends app_home_opened (with the current view, if any)."""
        ws = self._ws
        channel = ws.im_channel(self.user_id)
        now = ws.now()
        envelope = payloads.app_home_opened(
            ws.identity,
            user_id=self.user_id,
            channel_id=channel.id,
            view=ws.views.home(self.user_id),
            event_id="Ev" + random_id(10).upper(),
            event_time=int(now.timestamp()),
            event_ts=ws.new_ts(),
        )
        delivery, problems = self.driver.deliver("event", payloads.event_body(envelope), "app_home_opened")
        return Outcome(delivery, problems=problems)

    def home(self) -> ViewHandle:
        view = self._ws.views.home(self.user_id)
        if view is None:
            raise LookupError(f"the app has published no Home tab for {self.user_id}")
        return ViewHandle(self.driver, self.user_id, str(view["id"]))

    def wait_for_home(self, *, timeout: float = 5.0) -> ViewHandle:
        self.driver.wait_until(
            lambda: self._ws.views.home(self.user_id),
            timeout=timeout,
            message=f"no Home tab for {self.user_id}",
        )
        return self.home()
