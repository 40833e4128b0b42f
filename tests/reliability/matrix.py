"""The authorisation matrix: every surface (command, button, modal action, view submission) tried
by every kind of person, each cell asserted.

- allowed: what the surface does happens (a modal opens, an e-mail is queued, a user is created…);
- refused: the person is told the exact refusal, and nothing changes: no row in any table, no
  modal, no e-mail.

Cells that fail are collected, so one run shows the whole matrix.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.db import Database
from commands.access import REFUSAL as HELPDESK_REFUSAL
from commands.approvals import REFUSAL as APPROVER_REFUSAL
from console import SlackEmulator, payloads
from console.models import JSON, Ephemeral
from console.transport import Delivery
from console.viewhandle import selection_for
from tests.reliability.helpers import send, table_counts
from tests.support.app import RunningApp
from tests.support.channels import OUTSIDER
from tests.support.reliability import Figures
from tests.support.slack import APPROVER, HELPDESK_USER, OTHER_HELPDESK_USER

HELEN, HARRY, ANNA, SAM = HELPDESK_USER, OTHER_HELPDESK_USER, APPROVER, OUTSIDER
PERSONAS = {
    HELEN: "helpdesk person",
    ANNA: "approver (not helpdesk)",
    SAM: "other workspace member",
    HARRY: "requester-as-approver (helpdesk and approver)",
}
HELPDESK = frozenset({HELEN, HARRY})
SELF_APPROVAL = "You asked for this yourself: another approver has to decide."
NOT_REQUESTER = "Only the person who asked can cancel this request."
__all__ = ["APPROVER_REFUSAL", "HELPDESK_REFUSAL"]

# act(person): what the person does; a Delivery it returns is read too (the answer to a forged view)
Act = Callable[[str], object]


@dataclass(frozen=True)
class Before:
    rows: dict[str, int]
    views_opened: int
    emails: int
    modals: int
    ephemerals: int
    messages: int


@dataclass
class Matrix:
    app: RunningApp
    emulator: SlackEmulator
    figures: Figures
    emails: Callable[[], int]
    failures: list[str] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.app.deps.db

    def cell(
        self,
        surface: str,
        person: str,
        act: Act,
        *,
        refusal: str | None = None,
        works: Callable[[str, str], Any] | None = None,
        keeps: Callable[[], object] | None = None,
    ) -> None:
        """One cell: `refusal` expected, or (None) it must work as `works(person, what they saw)` says.
        A refused cell also leaves what `keeps()` returns as it was (e.g. someone else's modal and
        draft, which row counts alone do not show)."""
        before = self._before(person)
        kept = keeps() if keeps is not None else None
        try:
            done = act(person)
            answer = done if isinstance(done, Delivery) else None
            self.app.wait_for_outbox()
            if refusal is None:
                seen = self._settle(
                    person, before, answer, lambda text: bool(works is None or works(person, text))
                )
                assert works is None or works(person, seen), f"it did not work; the person saw: {seen!r}"
                self.figures.add("authorisation cells: allowed and working")
            else:
                seen = self._settle(person, before, answer, lambda text: refusal in text)
                assert refusal in seen, f"expected the refusal {refusal!r}; the person saw: {seen!r}"
                self._unchanged(person, before)
                if keeps is not None:
                    self.app.wait_for_outbox()
                    assert keeps() == kept, "what the person must not touch changed"
                self.figures.add("authorisation cells: refused, nothing changed")
        except Exception as error:  # one broken cell must not hide the others
            self.failures.append(f"{surface} by {PERSONAS[person]}: {error}")
        finally:
            self.close_modals(person)

    def assert_all_passed(self) -> None:
        assert not self.failures, "cells of the authorisation matrix failed:\n  " + "\n  ".join(self.failures)

    # --- what the person saw --------------------------------------------------------------

    def _before(self, person: str) -> Before:
        return Before(
            rows=table_counts(self.db),
            views_opened=self._views_opened(),
            emails=self.emails(),
            modals=len(self.emulator.modal_stack(person)),
            ephemerals=len(self.emulator.ephemerals(user=person)),
            messages=len(self.emulator.dm_channel(person).messages()),
        )

    def _seen(self, person: str, before: Before, answer: Delivery | None) -> str:
        texts = [e.all_text() for e in self.emulator.ephemerals(user=person)[before.ephemerals :]]
        texts += [m.all_text() for m in self.emulator.dm_channel(person).messages()[before.messages :]]
        stack = self.emulator.modal_stack(person)
        texts += [" ".join(self.emulator.workspace.views.errors(str(v["id"])).values()) for v in stack]
        if answer is not None:
            body = answer.json()
            if isinstance(body, dict):
                texts += [str(v) for v in (body.get("errors") or {}).values()]
                texts.append(str(body.get("text") or ""))
        return "\n".join(t for t in texts if t)

    def _settle(
        self, person: str, before: Before, answer: Delivery | None, done: Callable[[str], bool]
    ) -> str:
        deadline = time.monotonic() + 5
        seen = self._seen(person, before, answer)
        while not done(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
            self.app.wait_for_outbox()
            seen = self._seen(person, before, answer)
        return seen

    def _unchanged(self, person: str, before: Before) -> None:
        after = table_counts(self.db)
        changed = {
            name: (before.rows[name], after[name]) for name in after if after[name] != before.rows[name]
        }
        assert not changed, f"rows changed: {changed}"
        assert self._views_opened() == before.views_opened, "a modal was opened"
        assert len(self.emulator.modal_stack(person)) <= before.modals, "a modal was opened"
        assert self.emails() == before.emails, "an e-mail was sent"

    def _views_opened(self) -> int:
        return len([c for c in self.emulator.calls() if c.method in ("views.open", "views.push") and c.ok])

    def close_modals(self, person: str) -> None:
        for _ in range(10):  # a stack is at most 3 deep in Slack
            if not self.emulator.modal_stack(person):
                return
            self.emulator.workspace.views.close_top(person)


# --- requests a person could only send by hand (the surface belongs to someone else) ----------


def ephemeral_click(emulator: SlackEmulator, person: str, ephemeral: Ephemeral, action_id: str) -> Delivery:
    """A click, as `person`, on a button of an ephemeral message someone else was shown."""
    ws = emulator.workspace
    assert emulator.driver is not None
    button = next(b for b in ephemeral.buttons() if b.action_id == action_id)
    action: JSON = {
        "type": "button",
        "block_id": button.block_id,
        "action_id": action_id,
        "text": {"type": "plain_text", "text": button.text},
        "value": button.value,
        "action_ts": ws.new_ts(),
    }
    payload = payloads.block_actions(
        ws.identity,
        user=ws.user(person),
        trigger_id=ws.views.issue_trigger(person),
        actions=[action],
        channel=ws.channels[ephemeral.channel],
        message_ts=ephemeral.ts,
        is_ephemeral=True,
        response_url=emulator.driver.response_url(person, ephemeral.channel),
    )
    return send(emulator, "interactivity", payloads.interactivity_body(payload))


def forged_view_action(
    emulator: SlackEmulator,
    person: str,
    view: JSON,
    action_id: str,
    *,
    value: str | None = None,
    chosen: str | list[str] | None = None,
    typed: str | None = None,
) -> Delivery:
    """What `person` would send acting on an element of `view` (a copy of someone else's modal):
    a button (its `value`), an option picked (`chosen`) or text typed and Enter pressed (`typed`)."""
    ws = emulator.workspace
    for block in view["blocks"]:
        elements = block.get("elements") or [block.get("accessory"), block.get("element")]
        element = next((e for e in elements if e and e.get("action_id") == action_id), None)
        if element is not None:
            break
    else:
        raise AssertionError(f"{action_id} is not in the view")
    if typed is not None:
        selection: JSON = {"value": typed}
    elif chosen is not None:
        selection = selection_for(element, chosen)
    else:
        selection = {}
    action = payloads.element_action(
        element, str(block["block_id"]), action_ts=ws.new_ts(), selection=selection
    )
    if value is not None:
        action["value"] = value
    payload = payloads.block_actions(
        ws.identity,
        user=ws.user(person),
        trigger_id=ws.views.issue_trigger(person),
        actions=[action],
        view=copy.deepcopy(view),
    )
    return send(emulator, "interactivity", payloads.interactivity_body(payload))
