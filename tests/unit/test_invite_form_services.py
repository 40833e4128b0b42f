"""The Send Enrollment Invitation services a listener calls, each owning its unit of work: what
the form shows after each change, on a SQLite database of the test's own and an in-memory
directory."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import load_settings
from bot.db import Database
from bot.enrollment import drafts, invite_form, invite_search
from bot.enrollment.fields import Field
from bot.enrollment.group_members import AddGroup, add_group
from bot.enrollment.invite_form import (
    AddPerson,
    FormRef,
    FormSettings,
    InviteForm,
    Remove,
    SaveEmail,
)
from bot.enrollment.invite_search import EMPTY_SEARCH, Search
from bot.enrollment.jobs import EnrollJob
from bot.enrollment.models import Invitation, InvitationBatch, PlatformChoice
from bot.enrollment.sending import SendInvitations, check_invitations, send_invitations
from bot.errors import FieldErrors, InvalidState, NotAllowed, NotFound
from bot.integrations.directory.port import DirectoryError, MatchMode
from bot.tokens import LinkTokens
from tests.support.accounts import count, outbox_kinds
from tests.support.fakes import InMemoryDirectory

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HELEN = "U0HELEN01"
SETTINGS = FormSettings(default_language="en", devices_per_licence=3)


@pytest.fixture
def directory() -> InMemoryDirectory:
    people = InMemoryDirectory()
    people.add_user("uid=jdoe", "John Doe", "john.doe@example.com")
    people.add_user("uid=mjohnson", "Mary Johnson", "mary.johnson@example.com")
    people.add_user("uid=nomail", "Nora Mailless", None)
    people.add_group("cn=sales", "Sales", ["uid=jdoe", "uid=mjohnson", "uid=nomail"])
    return people


def start(db: Database) -> FormRef:
    form = invite_form.start_form(db, owner=HELEN, channel_id="C0HELP001", now=NOW, settings=SETTINGS)
    return FormRef(form.draft_id, HELEN)


_pressed = itertools.count(1)


def search(db: Database, directory: InMemoryDirectory, form: FormRef, text: str) -> InviteForm:
    """Search pressed: the form shown, with its results kept."""
    command = Search(form, text, MatchMode.BEGINS_WITH, at=next(_pressed))
    found = invite_search.find(db, directory, command, now=NOW, settings=SETTINGS)
    shown: list[InviteForm] = []
    assert invite_search.show_and_keep(db, found, now=NOW, show=shown.append).result(timeout=10)
    [form_shown] = shown
    return form_shown


def listed(form: InviteForm) -> list[tuple[str, str | None]]:
    return [(person.display_name, person.email) for person in form.summary.invitees]


def test_a_search_shows_its_results_and_an_add_lists_the_person_once(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    found = search(unit_db, directory, form, "jo")
    assert [u.display_name for u in found.summary.search.users] == ["John Doe", "Mary Johnson"]
    added = invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)
    assert listed(added) == [("John Doe", "john.doe@example.com")]
    assert added.summary.notice == "Added John Doe."
    again = invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)
    assert again.summary.total == 1 and again.summary.notice == "John Doe is already on the list."


def test_an_empty_search_asks_for_text_without_asking_the_directory(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    shown = search(unit_db, directory, start(unit_db), "   ")
    assert shown.summary.search.problem == EMPTY_SEARCH and directory.calls == []


def test_a_directory_that_fails_is_said_in_the_results_and_keeps_the_list(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "john")
    invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)
    directory.failure = DirectoryError("The directory server does not answer: check LDAP_URL.")
    shown = search(unit_db, directory, form, "mary")
    assert shown.summary.search.problem == "The directory server does not answer: check LDAP_URL."
    assert shown.summary.search.users == [] and listed(shown) == [("John Doe", "john.doe@example.com")]


def test_a_person_no_longer_in_the_results_cannot_be_added(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "mary")
    with pytest.raises(NotFound, match="search again"):
        invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)


def test_results_are_shown_before_they_are_kept_and_add_takes_the_person_it_carries(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    """The modal shows a search's results first and keeps them with the draft after: an Add
    clicked before they are kept (or if keeping them failed) adds the person its button carries."""
    form = start(unit_db)
    command = Search(form, "jo", MatchMode.BEGINS_WITH, at=next(_pressed))
    found = invite_search.find(unit_db, directory, command, now=NOW, settings=SETTINGS)
    assert [u.display_name for u in found.form.summary.search.users] == ["John Doe", "Mary Johnson"]
    [john] = [u for u in found.form.summary.search.users if u.id == "uid=jdoe"]
    assert invite_form.show_form(unit_db, form, settings=SETTINGS).summary.search.users == []  # not kept yet
    added = invite_form.add_person(unit_db, AddPerson(form, john.id, john), now=NOW, settings=SETTINGS)
    assert (
        listed(added) == [("John Doe", "john.doe@example.com")] and added.summary.notice == "Added John Doe."
    )
    [sales] = invite_search.find(
        unit_db,
        directory,
        Search(form, "sales", MatchMode.BEGINS_WITH, at=next(_pressed)),
        now=NOW,
        settings=SETTINGS,
    ).form.summary.search.groups
    done = add_group(
        unit_db, directory, AddGroup(form, sales.id, sales), now=NOW, settings=SETTINGS, show=lambda _: None
    )
    assert done.summary.notice == "Added 2 members of Sales (1 were already on the list)."


def test_a_change_right_after_a_search_waits_for_its_results_to_be_kept(
    unit_db: Database, directory: InMemoryDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Add or Remove shows the form again from the draft: one clicked while the results just
    shown are still being kept (slowly here) waits for them, so the results stay on screen."""
    form = start(unit_db)
    keep = drafts.record_search

    def slow_keep(*args: Any, **kwargs: Any) -> bool:
        time.sleep(0.3)
        return keep(*args, **kwargs)

    monkeypatch.setattr(drafts, "record_search", slow_keep)
    command = Search(form, "jo", MatchMode.BEGINS_WITH, at=next(_pressed))
    found = invite_search.find(unit_db, directory, command, now=NOW, settings=SETTINGS)
    keeping = invite_search.show_and_keep(unit_db, found, now=NOW, show=lambda _: None)
    assert not keeping.done()
    invite_search.settled(form.draft_id)
    assert keeping.done()
    shown = invite_form.show_form(unit_db, form, settings=SETTINGS).summary.search
    assert [u.display_name for u in shown.users] == ["John Doe", "Mary Johnson"]


def test_a_search_that_finishes_after_a_newer_one_replaces_nothing(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    """ "john" is pressed, then "mary"; "mary" is answered first. "john" finishing afterwards is
    neither shown nor kept: the modal and the draft keep Mary's results."""
    form = start(unit_db)
    older = Search(form, "john", MatchMode.BEGINS_WITH, at=next(_pressed))
    newer = Search(form, "mary", MatchMode.BEGINS_WITH, at=next(_pressed))
    found_older = invite_search.find(unit_db, directory, older, now=NOW, settings=SETTINGS)
    found_newer = invite_search.find(unit_db, directory, newer, now=NOW, settings=SETTINGS)
    shown: list[InviteForm] = []
    assert invite_search.show_and_keep(unit_db, found_newer, now=NOW, show=shown.append).result(timeout=10)
    assert not invite_search.show_and_keep(unit_db, found_older, now=NOW, show=shown.append).result(
        timeout=10
    )
    assert [[u.display_name for u in f.summary.search.users] for f in shown] == [["Mary Johnson"]]
    kept = invite_form.show_form(unit_db, form, settings=SETTINGS).summary.search
    assert kept.text == "mary" and [u.display_name for u in kept.users] == ["Mary Johnson"]


def test_the_draft_keeps_the_newest_search_whichever_replica_keeps_it_last(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    """Another replica's older search, shown there, still never replaces the newer results."""
    form = start(unit_db)
    ref = drafts.DraftRef(form.draft_id, HELEN)
    with unit_db.write() as connection:
        assert drafts.record_search(connection, ref, {"text": "mary"}, at=20, now=NOW)
        assert not drafts.record_search(connection, ref, {"text": "john"}, at=10, now=NOW)
        assert not drafts.record_search(
            connection, drafts.DraftRef(form.draft_id, "U0OTHER01"), {}, at=30, now=NOW
        )
    assert invite_form.show_form(unit_db, form, settings=SETTINGS).summary.search.text == "mary"


def test_someone_elses_form_is_refused(unit_db: Database, directory: InMemoryDirectory) -> None:
    form = start(unit_db)
    with pytest.raises(NotAllowed, match="belongs to someone else"):
        search(unit_db, directory, FormRef(form.draft_id, "U0OTHER01"), "jo")


def test_a_group_is_announced_before_its_members_are_read_then_counted(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "sales")
    shown: list[InviteForm] = []
    done = add_group(
        unit_db, directory, AddGroup(form, "cn=sales"), now=NOW, settings=SETTINGS, show=shown.append
    )
    assert [f.summary.notice for f in shown] == ["Adding the members of Sales…"]
    assert shown[0].summary.total == 0
    assert done.summary.notice == "Added 3 members of Sales."
    assert done.summary.total == 3 and done.summary.without_email == 1


def test_a_group_read_half_way_keeps_who_was_added_and_says_what_stopped(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "sales")
    directory.fail_after = 2
    done = add_group(
        unit_db, directory, AddGroup(form, "cn=sales"), now=NOW, settings=SETTINGS, show=lambda _: None
    )
    assert done.summary.notice == (
        "Could not read all members of Sales: The directory server stopped answering. (0 added so far)."
    )
    # The chunk being read when the directory stopped was never written: nothing half-added.
    assert done.summary.total == 0


def test_removing_one_then_everyone(unit_db: Database, directory: InMemoryDirectory) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "sales")
    full = add_group(
        unit_db, directory, AddGroup(form, "cn=sales"), now=NOW, settings=SETTINGS, show=lambda _: None
    )
    john = next(p for p in full.summary.invitees if p.display_name == "John Doe")
    fewer = invite_form.remove(unit_db, Remove(form, john.id), now=NOW, settings=SETTINGS)
    assert fewer.summary.notice == "Removed John Doe." and fewer.summary.total == 2
    empty = invite_form.remove(unit_db, Remove(form, None), now=NOW, settings=SETTINGS)
    assert empty.summary.total == 0 and empty.summary.notice == "Everyone was removed from the list."


def test_devices_per_person_follows_what_is_typed_when_it_is_a_number_in_bounds(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "john")
    invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)
    two = invite_form.choose_devices(unit_db, form, "2", settings=SETTINGS)
    assert two is not None and two.summary.forecast is not None
    assert two.summary.devices_per_person == 2 and two.summary.forecast.invitations == 2
    assert invite_form.choose_devices(unit_db, form, "2", settings=SETTINGS) is None
    assert invite_form.choose_devices(unit_db, form, "99", settings=SETTINGS) is None
    assert invite_form.show_form(unit_db, form, settings=SETTINGS).summary.devices_per_person == 2


def test_an_address_given_by_hand_is_checked_under_its_field(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "sales")
    full = add_group(
        unit_db, directory, AddGroup(form, "cn=sales"), now=NOW, settings=SETTINGS, show=lambda _: None
    )
    nora = next(p for p in full.summary.invitees if p.email is None)
    with pytest.raises(FieldErrors) as refused:
        invite_form.save_email(
            unit_db, SaveEmail(form, nora.id, "not an address"), now=NOW, settings=SETTINGS
        )
    assert list(refused.value.errors) == [Field.EMAIL]
    saved = invite_form.save_email(
        unit_db, SaveEmail(form, nora.id, "nora@example.com"), now=NOW, settings=SETTINGS
    )
    assert saved.summary.without_email == 0 and saved.summary.notice == "E-mail address saved."


def test_send_names_every_wrong_field_and_a_list_that_cannot_go_yet(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    with pytest.raises(FieldErrors) as wrong:
        check_invitations(
            unit_db,
            SendInvitations(form, "0", "11", None, None),
            default_language="en",
            enrollment_server="access.example",
        )
    assert sorted(wrong.value.errors) == [Field.DAYS, Field.DEVICES]
    with pytest.raises(FieldErrors) as empty:
        check_invitations(
            unit_db,
            SendInvitations(form, "7", "1", None, None),
            default_language="en",
            enrollment_server="access.example",
        )
    assert list(empty.value.errors) == [Field.INVITEES]
    search(unit_db, directory, form, "sales")
    add_group(unit_db, directory, AddGroup(form, "cn=sales"), now=NOW, settings=SETTINGS, show=lambda _: None)
    with pytest.raises(FieldErrors) as missing:
        check_invitations(
            unit_db,
            SendInvitations(form, "7", "1", None, None),
            default_language="en",
            enrollment_server="access.example",
        )
    assert "Nora Mailless" in missing.value.errors[Field.INVITEES]


def test_send_without_enrollment_server_is_refused_and_the_list_kept(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    """The form works without ENROLLMENT_SERVER (the contract's default); only Send needs it."""
    form = start(unit_db)
    search(unit_db, directory, form, "jo")
    invite_form.add_person(unit_db, AddPerson(form, "uid=jdoe"), now=NOW, settings=SETTINGS)
    command = SendInvitations(form, "7", "1", None, None)
    with pytest.raises(InvalidState, match="ENROLLMENT_SERVER"):
        check_invitations(unit_db, command, default_language="en", enrollment_server=None)
    checked = check_invitations(unit_db, command, default_language="en", enrollment_server="access.example")
    assert checked.days == 7


def test_sending_makes_one_batch_of_invitations_and_queues_their_emails(
    unit_db: Database, directory: InMemoryDirectory
) -> None:
    form = start(unit_db)
    search(unit_db, directory, form, "jo")
    for person in ("uid=jdoe", "uid=mjohnson"):
        invite_form.add_person(unit_db, AddPerson(form, person), now=NOW, settings=SETTINGS)
    command = SendInvitations(form, "7", "2", PlatformChoice.IOS.value, "de")
    checked = check_invitations(unit_db, command, default_language="en", enrollment_server="access.example")
    settings = load_settings(_env_file=None)
    send_invitations(unit_db, checked, settings=settings, tokens=LinkTokens(b"k" * 32), now=NOW)
    with unit_db.read() as session:
        batch = session.scalars(select(InvitationBatch)).one()
        assert (batch.invitations, batch.platform, batch.language) == (4, PlatformChoice.IOS, "de")
        assert session.scalar(select(func.count()).select_from(Invitation)) == 4
    assert outbox_kinds(unit_db).count(EnrollJob.INVITATION_EMAIL) == 4
    # The form is gone with its batch made: a second Send (a double click) makes nothing more.
    with pytest.raises(NotFound):
        send_invitations(unit_db, checked, settings=settings, tokens=LinkTokens(b"k" * 32), now=NOW)
    assert count(unit_db, InvitationBatch) == 1
