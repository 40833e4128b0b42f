"""/enroll builders inside the Block Kit limits file, up to a 10,000-invitee list."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks.enroll.messages import batch_card, help_message, status_message, url_message
from blocks.enroll.metadata import (
    DirectoryRef,
    EditEmailMetadata,
    ExtendMetadata,
    FoundGroupRef,
    FoundPersonRef,
    InviteMetadata,
)
from blocks.enroll.modals import NO_EMAIL, edit_email_modal, extend_modal, invite_modal, invite_view
from bot.customers.service import CustomerLanguages
from bot.enrollment.drafts import FoundGroup, FoundUser, SearchState
from bot.enrollment.licences import LicenceForecast
from bot.enrollment.models import BatchState, InvitationState, Platform, PlatformChoice
from bot.enrollment.summary import (
    BatchSummary,
    DeviceItem,
    DraftSummary,
    InvitationItem,
    InviteeItem,
    PersonItem,
    StatusSummary,
)
from bot.integrations.directory.port import MatchMode
from bot.slack.sealing import MetadataSeal
from bot.tokens import LinkTokens
from commands.enroll.invite import RESULTS_SEAL
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEAL = MetadataSeal(LinkTokens(b"k" * 32), purpose=RESULTS_SEAL)
LONG_DN = "uid=" + "x" * 120 + ",ou=" + "y" * 120 + ",dc=example,dc=com"


def draft(total: int, *, with_email: bool = True, problem: str | None = None) -> DraftSummary:
    search = SearchState(
        text="J" * 100,
        mode=MatchMode.CONTAINS,
        problem=problem,
        truncated=True,
        users=[
            FoundUser(
                id=f"{LONG_DN}{i}",
                display_name="Ü" * 200,
                account_name="a" * 200,
                email="e" * 64 + "@" + "d" * 180 + ".com",
            )
            for i in range(8)
        ],
        groups=[
            FoundGroup(id=f"cn=g{i}," + "z" * 300, name="G" * 200, description="d" * 500, member_count=10_000)
            for i in range(8)
        ],
    )
    invitees = [
        InviteeItem(
            id=i,
            display_name="N" * 200,
            email=("m" * 64 + "@example.com") if with_email or i % 2 else None,
            source="S" * 200,
        )
        for i in range(min(total, 20))
    ]
    return DraftSummary(
        search=search,
        invitees=invitees,
        total=total,
        without_email=total // 3,
        offset=0 if total < 40 else 9_980,
        page_size=20,
        forecast=LicenceForecast(total, 10, total * 10, total * 4, devices_per_licence=3),
        platform=PlatformChoice.BOTH,
        devices_per_person=10,
        notice="n" * 500,
    )


@pytest.mark.parametrize("total", [0, 1, 20, 10_000])
@pytest.mark.parametrize("with_email", [True, False])
def test_invite_modal_fits_with_the_longest_values(total: int, with_email: bool) -> None:
    view = invite_modal(
        draft(total, with_email=with_email),
        metadata=InviteMetadata(draft_id="d" * 36, offset=9_980),
        default_days=7,
        seal=SEAL.seal,
    ).to_dict()
    assert LIMITS.validate_view(view) == []
    assert view["title"]["text"] == "Enrollment Invitation"
    assert view["blocks"][0] == {
        "type": "header",
        "block_id": "header",
        "text": {"type": "plain_text", "text": "Send Enrollment Invitation", "emoji": True},
    }
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["Search", "Match", "Days until expiration", "Devices per person", "Platform"]


def test_the_invite_view_is_the_modal_as_slack_sdk_serialises_it() -> None:
    """The form as shown after each change: the search box and the sending settings come from
    JSON kept per their values, so each variation of them must still be what slack_sdk makes."""
    languages = CustomerLanguages(default="de", own=(("Acme", "fr"), ("Globex", "nl")), others=3)
    begins = dataclasses.replace(draft(0).search, mode=MatchMode.BEGINS_WITH)
    cases = [
        (draft(0), 7, None),
        (draft(20, with_email=False), 7, languages),
        (dataclasses.replace(draft(1), search=begins), 14, languages),
        (
            dataclasses.replace(draft(1), search=begins, platform=PlatformChoice.IOS, devices_per_person=2),
            14,
            None,
        ),
        (dataclasses.replace(draft(10_000), forecast=None), 30, CustomerLanguages("en", (), 0)),
    ]
    for configured in (True, False):  # ENROLLMENT_SERVER set, or not yet
        for summary, days, langs in cases * 2:  # the second time from the kept JSON
            metadata = InviteMetadata(draft_id="d" * 36, offset=summary.offset)
            same: dict[str, Any] = {
                "metadata": metadata,
                "default_days": days,
                "languages": langs,
                "seal": SEAL.seal,
                "server_configured": configured,
            }
            shown = invite_view(summary, **same)
            modal = invite_modal(summary, **same)
            assert shown == modal.to_dict()
            assert LIMITS.validate_view(shown) == []
    # Each view has blocks of its own: changing one changes no later one.
    first = invite_view(draft(0), metadata=InviteMetadata(draft_id="d"), default_days=7)
    first["blocks"][0]["text"]["text"] = "changed"
    first["blocks"][-1]["label"]["text"] = "changed"
    again = invite_view(draft(0), metadata=InviteMetadata(draft_id="d"), default_days=7)
    assert again["blocks"][0]["text"]["text"] == "Send Enrollment Invitation"
    assert again["blocks"][-1]["label"]["text"] == "Platform"


def _add_values(view: dict[str, Any], action_id: str) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in view["blocks"]
        if (b.get("accessory") or {}).get("action_id") == action_id
    ]


def test_add_buttons_carry_their_result_sealed_or_else_its_id() -> None:
    """Add takes the person or group from its button (the results may not be kept yet): sealed,
    so that what comes back can be trusted; an id too long to carry more goes alone."""
    summary = draft(0)
    person, group = summary.search.users[0], summary.search.groups[0]
    huge = dataclasses.replace(person, id="uid=" + "x" * 1_700)
    search = dataclasses.replace(summary.search, users=[person, huge], groups=[group])
    view = invite_modal(
        dataclasses.replace(summary, search=search),
        metadata=InviteMetadata(draft_id="d" * 36),
        default_days=7,
        seal=SEAL.seal,
    ).to_dict()
    assert LIMITS.validate_view(view) == []
    sealed, alone = _add_values(view, "enroll.invite.add_user")
    assert FoundPersonRef.model_validate_json(SEAL.unseal(sealed) or "") == FoundPersonRef(
        draft_id="d" * 36,
        id=person.id,
        display_name=person.display_name,
        account_name=person.account_name,
        email=person.email,
    )
    assert alone == DirectoryRef(id=huge.id).model_dump_json()
    [sealed_group] = _add_values(view, "enroll.invite.add_group")
    opened = FoundGroupRef.model_validate_json(SEAL.unseal(sealed_group) or "")
    assert opened == FoundGroupRef(draft_id="d" * 36, id=group.id, name=group.name)
    assert SEAL.unseal(sealed.replace("@", "@x", 1)) is None  # changed outside deskops
    assert MetadataSeal(LinkTokens(b"k" * 32)).unseal(sealed) is None  # not a view's metadata


def test_labels_and_the_missing_email_button() -> None:
    view = invite_modal(
        draft(20, with_email=False), metadata=InviteMetadata(draft_id="d"), default_days=7
    ).to_dict()
    text = str(view)
    assert NO_EMAIL in text and "'Begins with'" in text and "'Contains'" in text
    platform = next(b for b in view["blocks"] if b.get("block_id") == "platform")
    assert [o["text"]["text"] for o in platform["element"]["options"]] == ["iOS", "Android", "Both"]
    assert "Users to invite* (20 · 6 without e-mail)" in text


def test_directory_problems_are_shown_instead_of_results() -> None:
    view = invite_modal(
        draft(0, problem="the directory at 127.0.0.1:389 did not answer within 10 s"),
        metadata=InviteMetadata(draft_id="d"),
        default_days=7,
    ).to_dict()
    assert "did not answer within 10 s" in str(view) and "enroll.invite.add_user" not in str(view)


def test_small_modals_fit() -> None:
    person = InviteeItem(id=1, display_name="N" * 200, email=None, source=None)
    for view in (
        edit_email_modal(
            person=person,
            metadata=EditEmailMetadata(draft_id="d" * 36, invitee_id=1, parent_view_id="V" * 20),
        ),
        extend_modal(who="W" * 300, days=365, metadata=ExtendMetadata(invitation_id=1, channel_id="C1")),
    ):
        assert LIMITS.validate_view(view.to_dict()) == []


def batch(state: BatchState, **overrides: object) -> BatchSummary:
    values: dict[str, object] = {
        "id": 1,
        "created_by": "U1",
        "created_at": NOW,
        "platform": PlatformChoice.BOTH,
        "days": 7,
        "expires_at": NOW + timedelta(days=7),
        "invitees": 1_200,
        "devices_per_person": 2,
        "invitations": 2_400,
        "state": state,
        "problem": None,
        "sent": 600,
        "failed": 0,
        "queued": 1_800,
        "failures": [],
        "additional_licences": 1_200,
    }
    values.update(overrides)
    return BatchSummary(**values)  # type: ignore[arg-type]


def test_batch_card_reports_progress_problems_and_results() -> None:
    sending = str([b.to_dict() for b in batch_card(batch(BatchState.SENDING))])
    assert "Sending 2,400 invitations… 600 sent" in sending and "Retry" not in sending
    waiting = [
        b.to_dict()
        for b in batch_card(
            batch(
                BatchState.WAITING,
                problem="the SMTP server refused the login for helpdesk@msp.example: " + "x" * 900,
            )
        )
    ]
    assert "Mail is not going out" in str(waiting) and "enroll.batch.retry" in str(waiting)
    done = [
        b.to_dict()
        for b in batch_card(
            batch(
                BatchState.DONE,
                sent=2_398,
                failed=2,
                queued=0,
                failures=[("the SMTP server refused the recipient " + "r" * 900, 1), ("x" * 1000, 1)],
            )
        )
    ]
    assert "2,398 invitations sent, 2 failed" in str(done)
    for blocks in (waiting, done):
        assert LIMITS.validate_message(blocks) == []


def test_status_and_url_messages_fit() -> None:
    items = [
        InvitationItem(
            id=i,
            display_name="N" * 200,
            email="e" * 300,
            platform=list(PlatformChoice)[i % 3],
            state=list(InvitationState)[i % 7],
            created_at=NOW,
            expires_at=NOW,
            sent_at=NOW,
            failure="f" * 1000,
        )
        for i in range(13)
    ]
    devices = [DeviceItem(Platform.ANDROID, "d" * 200, NOW) for _ in range(40)]
    people = [
        PersonItem(
            email="e" * 300,
            display_name="N" * 200,
            devices=1_000,
            open_invitations=1_000,
            licences=334,
            latest_invitation_id=2**31 - 1,
        )
        for _ in range(10)
    ]
    for email in (None, "someone@example.com"):
        blocks = [
            b.to_dict()
            for b in status_message(
                StatusSummary(
                    email=email,
                    invitations=items,
                    devices=devices,
                    licensed_users=14,
                    people=3,
                    device_total=40,
                    devices_per_licence=3,
                    per_person=people,
                ),
                request_nonce="f" * 32,
            )
        ]
        assert LIMITS.validate_message(blocks) == []
    url = "https://" + "d" * 200 + ".example/enroll"
    for blocks in (
        url_message(url=url, qr_url=url + "/qr.png", server=None),
        url_message(url=url, qr_url=url + "/qr.png", server="s" * 255),
        url_message(
            url="http://127.0.0.1:3000/enroll", qr_url="http://127.0.0.1:3000/enroll/qr.png", server="s"
        ),
        help_message(),
    ):
        assert LIMITS.validate_message([b.to_dict() for b in blocks]) == []


def test_licence_wording_follows_devices_per_licence() -> None:
    summary = dataclasses.replace(draft(4), forecast=LicenceForecast(4, 2, 8, 2, devices_per_licence=5))
    text = str(invite_modal(summary, metadata=InviteMetadata(draft_id="d"), default_days=7).to_dict())
    assert "up to 2 more licensed users if all enroll (5 devices per licensed user)" in text
    status = StatusSummary(
        email=None,
        invitations=[],
        devices=[],
        licensed_users=2,
        people=2,
        device_total=6,
        devices_per_licence=5,
        per_person=[],
    )
    assert "(5 devices each)" in str([b.to_dict() for b in status_message(status, request_nonce="n")])


def test_url_message_shows_the_url_and_qr_code_without_enrollment_server_too() -> None:
    url = "https://deskops.example.com/enroll"
    for server in (None, "access.msp.example"):
        blocks = [b.to_dict() for b in url_message(url=url, qr_url=url + "/qr.png", server=server)]
        text = str(blocks)
        assert f"<{url}>" in text
        assert [b["image_url"] for b in blocks if b["type"] == "image"] == [url + "/qr.png"]
        assert ("ENROLLMENT_SERVER" in text) is (server is None)
        assert ("access.msp.example" in text) is (server is not None)


def test_invite_modal_says_when_invitations_cannot_be_sent_yet() -> None:
    for configured in (True, False):
        view = invite_modal(
            draft(1), metadata=InviteMetadata(draft_id="d"), default_days=7, server_configured=configured
        ).to_dict()
        assert view["blocks"][0]["text"]["text"] == "Send Enrollment Invitation"
        assert ("ENROLLMENT_SERVER" in str(view["blocks"])) is not configured
