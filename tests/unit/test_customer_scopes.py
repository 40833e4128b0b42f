"""ACCESS_FILE and customer scopes: who may act on which customers, and what a refusal says."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.access_file import AccessFileError, read_access_file
from bot.config import ConfigError, load_settings
from bot.customers.scope import EVERY_CUSTOMER, CustomerScope, OutOfScope
from bot.folding import fold
from bot.slack.scopes import StaffScopes
from tests.support.fakes import FakeUsergroups

ACCESS = """
scopes:
  - who: [S0EMEA]
    customers: [Acme Corp, "Zürich Bank"]
  - who: U0HARRY
    customers: Globex
  - who: [U0LEAD]
    customers: all
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_person_gets_the_union_of_the_entries_that_name_them_or_their_groups(tmp_path: Path) -> None:
    groups = FakeUsergroups({"S0EMEA": ["U0ANNA", "U0HARRY"]})
    scopes = StaffScopes(read_access_file(write(tmp_path, ACCESS)), groups.client())
    anna, harry = scopes.scope_for("U0ANNA"), scopes.scope_for("U0HARRY")
    assert anna.allows("ACME corp") and anna.allows("zurich bank") and not anna.allows("Globex")
    assert harry.allows("Globex") and harry.allows("Acme Corp")
    assert scopes.scope_for("U0LEAD").is_everything
    # Named by no entry: no customer at all, not every customer.
    nobody = scopes.scope_for("U0SAM")
    assert not nobody.is_everything and not nobody.allows("Acme Corp")


def test_without_an_access_file_everyone_acts_on_every_customer() -> None:
    scopes = StaffScopes(None, FakeUsergroups({}).client())
    assert scopes.scope_for("U0ANYONE") is EVERY_CUSTOMER


def test_a_refusal_names_the_customer_and_where_scopes_are_set() -> None:
    with pytest.raises(OutOfScope) as refused:
        CustomerScope.of(["Acme Corp"]).check("Globex")
    assert str(refused.value).startswith("Globex is outside your scope")
    assert "ACCESS_FILE" in str(refused.value)


def test_names_compare_without_case_and_accents() -> None:
    assert fold("  Zürich BANK ") == fold("zurich bank")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "scopes:\n  - who: [alice]\n    customers: all\n",
            "is not a Slack user id (U…) or user-group id (S…)",
        ),
        ("scopes:\n  - who: [U0A]\n", "scopes.0.customers: Field required"),
        ("scopes:\n  - who: []\n    customers: all\n", "scopes.0.who"),
        ("scopes: [\n", "is not valid YAML"),
        ("scopes:\n  - who: [U0A]\n    customers: all\n    role: admin\n", "scopes.0.role"),
    ],
)
def test_a_bad_access_file_is_refused_naming_the_entry(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(AccessFileError) as refused:
        read_access_file(write(tmp_path, text))
    assert problem in str(refused.value)


def test_the_setting_names_access_file_when_the_file_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(access_file=str(tmp_path / "missing.yaml"))
    assert "ACCESS_FILE" in str(refused.value) and "cannot read" in str(refused.value)
    assert load_settings(access_file=str(write(tmp_path, ACCESS))).access_file
