"""/enroll invite end to end against the bundled sample directory and the file outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blocks.enroll.metadata import InviteMetadata
from bot.enrollment import drafts
from bot.enrollment.models import Invitation, InvitationState, InviteDraft
from bot.integrations.directory.port import DirectoryUser
from console import SlackEmulator
from tests.e2e.backup_flows import read_eml
from tests.e2e.enroll_flows import (
    add_result,
    invite_person,
    invitee_rows,
    invitees_header,
    landing_links,
    open_invite,
    remove_invitee,
    result_names,
    search,
    wait_for_notice,
)
from tests.support.app import ENROLLMENT_API_KEY, RunningApp
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER

# Enrollment does not touch the backup platform: one provider is enough.
pytestmark = pytest.mark.backup_provider("local")


def test_begins_with_and_contains(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    view = open_invite(slack_emulator.person(HELPDESK_USER))
    search(view, "Jo")
    assert result_names(view) == ["John Doe", "Mary Johnson"]
    search(view, "ohn")
    assert result_names(view) == []
    assert "Nobody matches" in view.all_text()
    search(view, "ohn", contains=True)
    assert result_names(view) == ["John Doe", "Mary Johnson"]


def test_results_show_and_add_works_before_the_results_are_kept(
    deskops: RunningApp, slack_emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The modal shows a search's results before they are kept with the draft: an Add clicked
    before then (here: they never are) adds the person or group its button names."""
    monkeypatch.setattr(drafts, "record_search", lambda *args, **kwargs: False)
    view = open_invite(slack_emulator.person(HELPDESK_USER))
    search(view, "Jo")
    assert result_names(view) == ["John Doe", "Mary Johnson"]
    add_result(view, "John Doe")
    wait_for_notice(view, "Added John Doe.")
    search(view, "Field")
    add_result(view, "Field Engineers")
    wait_for_notice(view, "Added 4 members of Field Engineers (1 were already on the list).")
    assert invitees_header(view) == "*Users to invite* (5 · 1 without e-mail)"


def test_build_a_list_and_send_to_both_platforms(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_invite(helen)
    assert "Nobody yet" in view.all_text()
    search(view, "Jo")
    add_result(view, "John Doe")
    assert invitees_header(view) == "*Users to invite* (1)"
    # Searches accumulate: a group adds its members' addresses, merging duplicates.
    search(view, "Field")
    add_result(view, "Field Engineers")
    wait_for_notice(view, "Added 4 members of Field Engineers (1 were already on the list).")
    assert invitees_header(view) == "*Users to invite* (5 · 1 without e-mail)"
    assert "No email address assigned - click here to edit" in view.all_text()
    # Sending is refused while someone has no address, naming them.
    result = view.submit()
    assert result.errors is not None and "Kwame Mensah" in result.errors["search"]
    # Give Kwame an address in the small modal.
    view.click(
        "enroll.invite.edit_email",
        value=next(
            b["elements"][0]["value"]
            for b in view.blocks
            if b["type"] == "actions" and b["elements"][0]["action_id"] == "enroll.invite.edit_email"
        ),
    )
    editor = helen.wait_for_view(callback_id="enroll.invite.edit_email")
    editor.fill("email", "not an address")
    assert editor.submit(force=True).errors is not None
    editor.fill("email", "kwame.mensah@example.com")
    assert editor.submit().errors is None
    wait_for_notice(view, "E-mail address saved.")
    assert invitees_header(view) == "*Users to invite* (5)"
    remove_invitee(view, "Bjørn Halvorsen")
    assert invitees_header(view) == "*Users to invite* (4)"
    assert not any("Bjørn" in row for row in invitee_rows(view))
    # Both (the default): one invitation each, whose one e-mail holds both store links.
    assert "4 people, 1 device each = 4 invitations (one e-mail each)" in view.all_text()
    view.fill("days", "10")
    done = view.submit()
    assert done.errors is None and done.closed
    deskops.wait_for_outbox()

    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message()
    assert "4 invitations sent" in card.all_text()
    assert "up to 4 more licensed users" in card.all_text()
    mails = [read_eml(path) for path in deskops.eml_files()]
    assert len(mails) == 4
    assert len({m["To"] for m in mails}) == 4  # one e-mail per person
    [kwame] = [m for m in mails if m["To"] == "kwame.mensah@example.com"]
    assert str(kwame["Subject"]) == "Set up Acronis Access on your iOS / Android device"
    text = kwame.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    settings = deskops.deps.settings
    assert f"iOS (App Store): {settings.ios_app_url}" in text
    assert f"Android (Google Play): {settings.android_app_url}" in text
    html = kwame.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert settings.ios_app_url.replace("&", "&amp;") in html
    assert settings.android_app_url.replace("&", "&amp;") in html
    assert "acronisaccess://enroll?server=access.msp.example&username=kmensah" in text
    assert "Server:    access.msp.example" in text
    with deskops.deps.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 4
        expiry = session.scalar(select(Invitation.expires_at).limit(1))
        created = session.scalar(select(Invitation.created_at).limit(1))
        assert expiry - created == timedelta(days=10)


def test_landing_page_device_callback_and_licences(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    for _ in range(4):  # one link enrolls one device: four invitations for four devices
        invite_person(helen, "Jo", "John Doe")
        deskops.wait_for_outbox()
    mails = [read_eml(path) for path in deskops.eml_files()]
    links = [link for mail in mails for link in dict.fromkeys(landing_links(mail))]
    assert len(links) == 4
    link = links[0]
    tokens = [each.rsplit("/", 1)[1] for each in links]
    token = tokens[0]
    with deskops.http() as http:
        page = http.get(link)
        assert page.status_code == 200 and "acronisaccess://enroll?server=access.msp.example" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        with deskops.deps.db.read() as session:
            assert (
                session.scalar(select(Invitation.state).where(Invitation.id == 1)) is InvitationState.OPENED
            )
        unauthorised = http.post(
            "/api/enrollments", json={"token": token, "platform": "ios", "device_id": "x"}
        )
        assert unauthorised.status_code == 401
        headers = {"Authorization": f"Bearer {ENROLLMENT_API_KEY}"}
        bad = http.post(
            "/api/enrollments",
            json={"token": token, "platform": "windows", "device_id": "x"},
            headers=headers,
        )
        assert bad.status_code == 400 and bad.json()["field"] == "platform"
        replies = [
            http.post(
                "/api/enrollments",
                json={"token": tokens[n - 1], "platform": "ios", "device_id": f"iphone-{n}"},
                headers=headers,
            ).json()
            for n in range(1, 5)
        ]
        # The same device again changes nothing.
        again = http.post(
            "/api/enrollments",
            json={"token": token, "platform": "ios", "device_id": "iphone-1"},
            headers=headers,
        )
        # Another device on a spent link is refused, and the link's page says so.
        spent = http.post(
            "/api/enrollments",
            json={"token": token, "platform": "ios", "device_id": "iphone-5"},
            headers=headers,
        )
        spent_page = http.get(link)
    assert spent.status_code == 410 and "already used" in spent.json()["error"]
    assert spent_page.status_code == 410 and "already used" in spent_page.text
    assert [r["devices"] for r in replies] == [1, 2, 3, 4]
    assert [r["licensed_users"] for r in replies] == [1, 1, 1, 2]  # the 4th device is a second licence
    assert [r["licence_added"] for r in replies] == [True, False, False, True]
    assert again.status_code == 200 and again.json()["devices"] == 4
    helen.slash("/enroll", "status john.doe@example.com", channel=HELPDESK_CHANNEL)
    status = slack_emulator.wait_until(
        lambda: [
            e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "Enrollment status" in e.all_text()
        ]
    )[-1].all_text()
    assert "Devices* (4, 2 licensed users)" in status and "enrolled" in status


def test_resend_extend_revoke_and_expired_links(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_invite(helen)
    search(view, "Jo")
    add_result(view, "Mary Johnson")
    view.choose("platform", "android")
    view.wait_for_update()
    view.fill("days", "1")
    assert view.submit().closed
    deskops.wait_for_outbox()
    [first] = [read_eml(p) for p in deskops.eml_files()]
    [old_link] = set(landing_links(first))

    helen.slash("/enroll", "status mary.johnson@example.com", channel=HELPDESK_CHANNEL)
    status = slack_emulator.wait_until(
        lambda: [
            e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "Enrollment status" in e.all_text()
        ]
    )[-1]
    helen.click(status, "enroll.invitation.resend")
    deskops.wait_for_outbox()
    mails = [read_eml(p) for p in deskops.eml_files()]
    assert len(mails) == 2
    [new_link] = {link for m in mails for link in landing_links(m)} - {old_link}
    with deskops.http() as http:
        replaced = http.get(old_link)  # replaced by the new one: withdrawn, not unknown
        assert replaced.status_code == 410 and "use the most recent e-mail" in replaced.text
        assert http.get(new_link).status_code == 200

    helen.click(status, "enroll.invitation.extend")
    extend = helen.wait_for_view(callback_id="enroll.invitation.extend_days")
    extend.fill("days", "5")
    assert extend.submit().closed
    with deskops.deps.db.read() as session:
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.expires_at - deskops.deps.clock.now() > timedelta(days=5, hours=23)

    helen.click(status, "enroll.invitation.revoke")
    deskops.wait_for_outbox()
    with deskops.http() as http:
        revoked = http.get(new_link)
        assert revoked.status_code == 410 and "withdrawn" in revoked.text

    # An invitation past its expiry answers 410 too.
    with deskops.deps.db.transaction() as session:
        invitation = session.scalars(select(Invitation)).one()
        invitation.state = InvitationState.SENT
        invitation.expires_at = deskops.deps.clock.now() - timedelta(minutes=1)
    with deskops.http() as http:
        expired = http.get(new_link)
        assert expired.status_code == 410 and "expired" in expired.text


def test_url_and_help(deskops: RunningApp, slack_emulator: SlackEmulator) -> None:
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/enroll", "url", channel=HELPDESK_CHANNEL)
    answer = slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user=HELPDESK_USER))[-1].all_text()
    assert "access.msp.example" in answer
    outcome = helen.slash("/enroll", "status bob", channel=HELPDESK_CHANNEL)
    assert outcome.ephemeral is not None and "not an e-mail address" in outcome.ephemeral.all_text()


def test_a_10000_invitee_draft_pages_inside_slack_limits(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    """The modal of a 10,000-person list (a third without e-mail) through the real listeners: the
    emulator refuses any view outside the Block Kit limits file, as Slack would."""
    helen = slack_emulator.person(HELPDESK_USER)
    view = open_invite(helen)
    search(view, "Jo")
    add_result(view, "John Doe")
    draft_id = InviteMetadata.model_validate_json(
        view.private_metadata.partition(".")[2]
    ).draft_id  # after its seal
    people = (
        DirectoryUser(
            id=f"uid=bulk{n:05d},ou=people,dc=example,dc=com",
            account_name=f"bulk{n:05d}",
            display_name=f"Bulk Person With A Rather Long Name {n:05d}",
            first_name="Bulk",
            last_name=f"Person {n:05d}",
            email=None if n % 3 == 0 else f"bulk{n:05d}@example.com",
        )
        for n in range(10_000)
    )
    with deskops.deps.db.transaction() as session:
        draft = session.get(InviteDraft, draft_id)
        assert draft is not None
        drafts.add_invitees(session, draft, people, source="Bulk", now=deskops.deps.clock.now())
    search(view, "Mary")  # any action renders the list from the draft again
    assert invitees_header(view) == "*Users to invite* (10,001 · 3,334 without e-mail)"
    view.click("enroll.invite.page.next")
    view.wait_for_update()
    assert "Showing 21 to 40 of 10,001" in view.all_text()
    assert len(view.blocks) <= 100 and len(view.private_metadata) <= 3000
    # Send names who has no address, within the error's limits, and sends nothing.
    result = view.submit()
    assert result.errors is not None and "3,334 on the list have no e-mail address" in result.errors["search"]
    assert deskops.outbox_rows() == []
