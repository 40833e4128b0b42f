"""With more than 100 customers the Customer field of Add New User is a type-ahead (an external
select): in the console it is a text box whose typing asks the app for options through the
emulator's signed options request, lists them best match first, and the one picked is the customer
the user is added for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from deskops.offline import HELPDESK_CHANNEL, HELPDESK_PERSON, OfflineConsole
from tests.browser.conftest import shoot
from tests.browser.console_server import running_console
from tests.browser.steps import field, message, modal, open_console, type_command
from tests.support.app import wait_until

pytestmark = pytest.mark.browser

BRANCHES = [f"Northwind Branch {n:03d}" for n in range(110)]
ZURICH = ["Bank of Zürich", "Zurich Insurance", "Zurich"]


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path
) -> Iterator[OfflineConsole]:
    """The console with 113 customers, imported as `deskops customers import FILE.yaml` does."""
    folder = tmp_path_factory.mktemp("console")
    customers = folder / "customers.yaml"
    entries = "".join(
        f'  - name: "{name}"\n    subscriptions: [PAYG, Capped Storage]\n' for name in BRANCHES + ZURICH
    )
    customers.write_text(f"customers:\n{entries}", encoding="utf-8")
    with running_console(folder, migrated_sqlite_template, customers) as running:
        yield running


def test_type_part_of_a_customer_name_pick_one_and_add_the_user_for_it(
    page: Page, console: OfflineConsole
) -> None:
    open_console(page, console)
    type_command(page, "/backup add")
    first_step = modal(page, "Add New User")
    customer = field(first_step, "Customer")
    expect(customer).to_have_attribute("role", "combobox")

    customer.press_sequentially("zuri")
    options = first_step.get_by_role("listbox").get_by_role("option")
    # The whole word first, then names starting with it, then names containing it; accents ignored.
    expect(options).to_have_text(["Zurich", "Zurich Insurance", "Bank of Zürich"])
    shoot(page, "type-ahead-options")

    customer.fill("")
    customer.press_sequentially("rich ins")
    expect(options).to_have_text(["Zurich Insurance"])
    customer.press("ArrowDown")
    customer.press("Enter")
    expect(customer).to_have_value("Zurich Insurance")
    expect(first_step.get_by_role("listbox")).to_be_hidden()

    field(first_step, "First name").fill("Iris")
    field(first_step, "Last name").fill("Insured")
    field(first_step, "Email").fill("iris@zurich-insurance.example")
    first_step.get_by_role("button", name="Next").click()
    settings = modal(page, "Acronis Backup Settings")
    expect(settings).to_contain_text("Zurich Insurance")
    field(settings, "Subscription").select_option(label="Capped Storage")
    settings.get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    card = message(page, "Backup user created: Iris Insured")
    expect(card).to_contain_text("Zurich Insurance")


def test_a_customer_must_be_picked_not_just_typed(page: Page, console: OfflineConsole) -> None:
    open_console(page, console)
    type_command(page, "/backup add")
    first_step = modal(page, "Add New User")
    customer = field(first_step, "Customer")
    customer.press_sequentially("Northwind Branch 007")
    expect(first_step.get_by_role("option")).to_have_text(["Northwind Branch 007"])
    first_step.get_by_role("option").click()
    expect(customer).to_have_value("Northwind Branch 007")
    customer.press_sequentially("x")  # typing again is a new search: nothing is picked
    expect(first_step.get_by_role("listbox")).to_have_text("No matches")
    field(first_step, "First name").fill("Nora")
    field(first_step, "Last name").fill("North")
    field(first_step, "Email").fill("nora@northwind.example")
    first_step.get_by_role("button", name="Next").click()
    expect(first_step.locator(".bk-input.has-error")).to_contain_text("Customer")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_only_an_offered_customer_can_be_picked_over_the_api(console: OfflineConsole) -> None:
    """The console server takes a pick only among the options the app offered for the view."""
    with httpx.Client(base_url=console.base_url, timeout=10, trust_env=False) as http:

        def call(path: str, **body: Any) -> dict[str, Any]:
            answer: dict[str, Any] = http.post(
                f"/console/api/{path}", json={"user": HELPDESK_PERSON, **body}
            ).json()
            return answer

        assert call("type", channel=HELPDESK_CHANNEL, text="/backup add")["ok"]
        view = wait_until(lambda: console.emulator.modal_stack(HELPDESK_PERSON), what="the modal")[-1]
        field_ids = {"view": view["id"], "block_id": "customer", "action_id": view_action_id(view)}
        answer = call("suggest", typed="zurich ins", **field_ids)
        assert answer["ok"], answer
        assert [o["label"] for o in answer["options"]] == ["Zurich Insurance"]
        other = next(o for o in call("suggest", typed="branch 042", **field_ids)["options"])
        insurance = answer["options"][0]["value"]
        refused = call("submit", view=view["id"], values={"customer": {field_ids["action_id"]: insurance}})
        assert not refused["ok"] and "has no option" in refused["error"]
        assert other["label"] == "Northwind Branch 042"
        assert call("close", view=view["id"])["ok"]
        assert not call("suggest", typed="zurich", **field_ids)["ok"]  # the view is closed


def view_action_id(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "customer")
    return str(block["element"]["action_id"])
