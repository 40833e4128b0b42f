"""/backup builders: what they show, and that they stay inside the Block Kit limits file even with
the longest values people can type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blocks.backup.add_user import (
    AddUserChoices,
    add_user_backup_settings_modal,
    add_user_backup_settings_view,
    add_user_modal,
)
from blocks.backup.card import user_card
from blocks.backup.messages import customers_overview, help_message, users_list
from blocks.backup.metadata import AddUserMetadata, UserSettingsMetadata
from blocks.backup.settings import BackupSettingsValues, assign_service_modal, user_settings_modal
from bot.accounts.administrators import AddNewUser
from bot.accounts.forms import NewUser
from bot.accounts.models import BackupRole, NotificationLevel, ProvisioningState, Role, UserStatus
from bot.accounts.summary import BackupServiceSummary, UserSummary
from bot.customers.service import CustomerSummary, SubscriptionSummary
from bot.integrations.backup.port import Quotas
from console.blockkit import BlockKitLimits
from tests.support.paths import BLOCKKIT_LIMITS

LIMITS = BlockKitLimits.load(BLOCKKIT_LIMITS)
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LONG = "Ü" * 100
SUBSCRIPTIONS = (
    SubscriptionSummary(1, "PAYG"),
    SubscriptionSummary(2, "Capped Storage"),
    SubscriptionSummary(3, "Microsoft Office 365"),
)
ACME = CustomerSummary(id=1, name="Acme Corporation", subscriptions=SUBSCRIPTIONS)


def customer(index: int, name: str | None = None) -> CustomerSummary:
    return CustomerSummary(
        id=index,
        name=name or f"Customer {index:03d} " + "x" * 150,
        subscriptions=(SubscriptionSummary(index, "PAYG"),),
    )


def summary(**overrides: object) -> UserSummary:
    values: dict[str, object] = {
        "id": 7,
        "customer_id": 1,
        "customer": "Acme Corporation",
        "full_name": "John Doe",
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.com",
        "notification_email": None,
        "role": Role.USER,
        "address": None,
        "phone": None,
        "status": UserStatus.PENDING_ACTIVATION,
        "provisioning": ProvisioningState.DONE,
        "provisioning_error": None,
        "created_by": "U0HELP01",
        "created_at": WHEN,
        "activated_at": None,
        "activation_sent_at": None,
        "backup": BackupServiceSummary(
            subscription_id=2,
            subscription="Capped Storage",
            notification_level=NotificationLevel.ALL,
            backup_role=BackupRole.USER,
            quotas=Quotas(storage_gb=250, workstations=3),
        ),
    }
    values.update(overrides)
    return UserSummary(**values)  # type: ignore[arg-type]


def mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def longest_user() -> UserSummary:
    return summary(
        full_name=f"{LONG} {LONG}",
        first_name=LONG,
        last_name=LONG,
        customer="C" * 200,
        email="a" * 64 + "@" + "b" * 250 + ".com",
        notification_email="n" * 64 + "@example.com",
        role=Role.ADMINISTRATOR,
        address="A" * 500,
        phone="+31201234567",
        provisioning=ProvisioningState.FAILED,
        provisioning_error="E" * 1000,
    )


def test_add_user_modal_labels_and_reshaping() -> None:
    metadata = AddUserMetadata(request_key="k", channel_id="C1", customer_id=None)
    plain_view = add_user_modal(metadata=metadata, customers=[ACME, customer(2, "Globex")]).to_dict()
    labels = [b["label"]["text"] for b in plain_view["blocks"] if b["type"] == "input"]
    assert labels == ["Customer", "First name", "Last name", "Email", "Role", "Assign services"]
    assert plain_view["title"]["text"] == "Add New User" and plain_view["submit"]["text"] == "Next"
    checkbox = next(b for b in plain_view["blocks"] if b.get("block_id") == "separate_notification_email")
    assert checkbox["elements"][0]["options"][0]["text"]["text"] == (
        "Use different emails to sign in and receive notifications"
    )
    fixed = AddUserMetadata(request_key="k", channel_id="C1", customer_id=ACME.id)
    admin = add_user_modal(
        metadata=fixed,
        customers=[ACME],
        choices=AddUserChoices(role=Role.ADMINISTRATOR, separate_email=True, assign_backup=False),
    ).to_dict()
    labels = [b["label"]["text"] for b in admin["blocks"] if b["type"] == "input"]
    assert labels == [
        "First name",
        "Last name",
        "Email",
        "Role",
        "Address",
        "Phone",
        "Notification email",
        "Assign services",
    ]
    assert admin["submit"]["text"] == "Create"
    assert "Customer: *Acme Corporation*" in str(admin["blocks"][0])
    assert LIMITS.validate_view(plain_view) == [] and LIMITS.validate_view(admin) == []


def test_add_user_modal_with_a_hundred_long_customer_names_fits() -> None:
    metadata = AddUserMetadata(request_key="k" * 36, channel_id="C" * 11, customer_id=None)
    view = add_user_modal(metadata=metadata, customers=[customer(i) for i in range(100)]).to_dict()
    assert LIMITS.validate_view(view) == []


def test_settings_modals_fit_with_the_longest_values() -> None:
    # Longer than any checked value can be (so not checked): the builder must fit them anyway.
    longest = NewUser.model_construct(
        customer_id=1,
        first_name=LONG,
        last_name=LONG,
        email="a" * 64 + "@" + "b" * 250 + ".com",
        role=Role.ADMINISTRATOR,
        address="A" * 500,
        phone="+31201234567",
        notification_email="n" * 64 + "@" + "m" * 250 + ".com",
        backup=None,
    )
    step = AddNewUser.model_construct(new_user=longest, request_key="k" * 36, channel_id="C0123456789")
    big = CustomerSummary(
        id=1,
        name="C" * 200,
        subscriptions=tuple(SubscriptionSummary(i, f"Sub {i} " + "s" * 80) for i in range(100)),
    )
    views = [
        add_user_backup_settings_modal(request=step, customer=big, values=BackupSettingsValues()),
        assign_service_modal(
            user=longest_user(),
            customer=big,
            metadata=UserSettingsMetadata(user_id=1, channel_id="C1"),
            values=BackupSettingsValues(quotas=Quotas(storage_gb=1_000_000)),
        ),
        user_settings_modal(
            user=longest_user(),
            customer=big,
            metadata=UserSettingsMetadata(user_id=1, channel_id="C1"),
            values=BackupSettingsValues(),
        ),
    ]
    for view in views:
        assert LIMITS.validate_view(view.to_dict()) == []
    quota_labels = [
        b["label"]["text"] for b in views[0].to_dict()["blocks"] if b.get("block_id", "").startswith("quota")
    ]
    assert quota_labels == [
        "Storage quota (GB)",
        "Workstations",
        "Servers",
        "Virtual machines",
        "Mobile devices",
        "Microsoft 365 seats",
    ]


def test_the_pushed_settings_step_is_the_modal_for_each_person_and_customer() -> None:
    def request(first: str, role: Role = Role.USER) -> AddNewUser:
        new_user = NewUser.model_construct(
            customer_id=1,
            first_name=first,
            last_name="Doe",
            email=f"{first.lower()}@example.com",
            role=role,
            address=None,
            phone=None,
            notification_email=None,
            backup=None,
        )
        return AddNewUser.model_construct(
            new_user=new_user, request_key=f"key-{first}", channel_id="C0123456789"
        )

    cases = [
        (request("Ann"), ACME, BackupSettingsValues()),
        (request("Bob"), ACME, BackupSettingsValues()),  # the same settings blocks, another person
        (request("Cy", Role.ADMINISTRATOR), ACME, BackupSettingsValues(backup_role=BackupRole.ADMINISTRATOR)),
        (request("Di"), customer(7), BackupSettingsValues()),
    ]
    for step, at, values in cases:
        pushed = add_user_backup_settings_view(request=step, customer=at, values=values)
        assert pushed == add_user_backup_settings_modal(request=step, customer=at, values=values).to_dict()
        assert LIMITS.validate_view(pushed) == []
    # Each view has blocks of its own: changing one changes no later one.
    first = add_user_backup_settings_view(
        request=request("Ann"), customer=ACME, values=BackupSettingsValues()
    )
    first["blocks"][-1]["label"]["text"] = "changed"
    again = add_user_backup_settings_view(
        request=request("Ann"), customer=ACME, values=BackupSettingsValues()
    )
    assert again["blocks"][-1]["label"]["text"] != "changed"


@pytest.mark.parametrize(
    ("user", "buttons"),
    [
        (summary(), ["backup.user.activate", "backup.user.assign_service"]),
        (summary(backup=None), ["backup.user.activate", "backup.user.assign_service"]),
        (summary(status=UserStatus.ACTIVE, activated_at=WHEN), ["backup.user.assign_service"]),
        (
            summary(provisioning=ProvisioningState.FAILED, provisioning_error="timeout"),
            ["backup.user.activate", "backup.user.assign_service", "backup.user.retry_provisioning"],
        ),
    ],
)
def test_user_card_buttons_follow_the_state(user: UserSummary, buttons: list[str]) -> None:
    blocks = [b.to_dict() for b in user_card(user)]
    shown = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert shown == buttons
    assert LIMITS.validate_message(blocks) == []


def test_the_card_says_activate_also_once_an_e_mail_went() -> None:
    """DESIGN §1: the card's buttons are Activate and Assign service; the status says when the last
    activation e-mail went, and sending another asks first."""
    before, after = (user_card(summary(activation_sent_at=sent)) for sent in (None, WHEN))
    for card in before, after:
        [actions] = [b.to_dict() for b in card if b.type == "actions"]
        assert [e["text"]["text"] for e in actions["elements"]] == ["Activate", "Assign service"]
    activate_after = next(e for b in after if b.type == "actions" for e in b.to_dict()["elements"])
    assert "confirm" in activate_after
    assert "e-mail sent <!date^1793611800^" in str([b.to_dict() for b in after])
    assert "Resend" not in str([b.to_dict() for b in after])


def test_user_card_shows_everything_and_escapes_what_people_typed() -> None:
    user = summary(full_name="<!channel> & <https://evil.example|click>", first_name="<!channel>")
    markdown = " ".join(mrkdwn_texts([b.to_dict() for b in user_card(user)]))
    # In mrkdwn, typed text cannot mention @channel or forge a link (plain_text shows it literally).
    assert (
        "<!channel>" not in markdown
        and "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in markdown
    )
    text = str([b.to_dict() for b in user_card(summary())])
    for expected in (
        "Capped Storage",
        "All",
        "Storage: 250 GB",
        "Workstations: 3",
        "Servers: unlimited",
        "Pending activation",
        "Acme Corporation",
        "<@U0HELP01>",
    ):
        assert expected in text
    assert LIMITS.validate_message([b.to_dict() for b in user_card(longest_user())]) == []


def test_users_list_pages_and_empty_customer() -> None:
    users = [longest_user() for _ in range(20)]
    blocks = [b.to_dict() for b in users_list(customer=ACME, users=users, total=45, offset=20, has_more=True)]
    assert LIMITS.validate_message(blocks) == []
    pager = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert pager == ["Previous", "Next"]
    empty = str([b.to_dict() for b in users_list(customer=ACME, users=[], total=0, offset=0, has_more=False)])
    assert "Acme Corporation" in empty and "No backup users yet" in empty


def test_overview_and_help_fit() -> None:
    overview = [b.to_dict() for b in customers_overview([(customer(i), i * 7) for i in range(400)])]
    assert LIMITS.validate_message(overview) == []
    assert LIMITS.validate_message([b.to_dict() for b in help_message()]) == []
