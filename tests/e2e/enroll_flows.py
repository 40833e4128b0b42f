"""What a helpdesk person does in Send Enrollment Invitation, as reusable steps."""

from __future__ import annotations

import re
from email.message import EmailMessage

from console.driver import Person
from console.viewhandle import ViewHandle
from tests.support.slack import HELPDESK_CHANNEL

INVITE = "enroll.invite"
LANDING_LINK = re.compile(r"https?://[^\s\"'<>]+/enroll/[A-Za-z0-9_\-]+")


def open_invite(person: Person, *, channel: str = HELPDESK_CHANNEL, timeout: float = 5.0) -> ViewHandle:
    person.slash("/enroll", "invite", channel=channel)
    view = person.wait_for_view(callback_id=INVITE, timeout=timeout)
    assert view.title == "Enrollment Invitation"
    assert view.blocks[0]["type"] == "header"
    assert view.blocks[0]["text"]["text"] == "Send Enrollment Invitation"
    return view


def search(view: ViewHandle, text: str, *, contains: bool = False) -> None:
    view.fill("search", text)
    view.wait_for_update()  # Enter in the search box searches (dispatch_action)
    if contains:
        view.choose("match_mode", "contains")
        view.click("enroll.invite.search")
        view.wait_for_update()


def result_names(view: ViewHandle) -> list[str]:
    """Names in the results, in order (users and groups)."""
    names = []
    for block in view.blocks:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") in ("enroll.invite.add_user", "enroll.invite.add_group"):
            match = re.search(r"\*([^*]+)\*", block["text"]["text"])
            assert match
            names.append(match.group(1))
    return names


def add_result(view: ViewHandle, name: str) -> None:
    for block in view.blocks:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") in ("enroll.invite.add_user", "enroll.invite.add_group") and (
            f"*{name}*" in block["text"]["text"]
        ):
            view.click(accessory["action_id"], value=accessory["value"])
            view.wait_for_update()
            wait_for_notice(view)  # a group updates twice: "Adding the members…", then the list
            return
    raise AssertionError(f"{name} is not in the results: {result_names(view)}")


def wait_for_notice(view: ViewHandle, contains: str = "") -> None:
    view.driver.wait_until(
        lambda: (
            invitees_header(view) is not None
            and (contains in view.all_text())
            and "Adding the members" not in view.all_text()
        ),
        timeout=20,
        message=f"the invitation modal to settle ({contains})",
    )


def invite_group(person: Person, group: str, *, platform: str = "ios") -> None:
    """Send invitations to everyone in `group` on one platform (or `both`)."""
    view = open_invite(person)
    search(view, group)
    add_result(view, group)
    view.choose("platform", platform)
    view.wait_for_update()
    assert view.submit().closed


def invitees_header(view: ViewHandle) -> str | None:
    block = next((b for b in view.blocks if b.get("block_id") == "invitees"), None)
    return str(block["text"]["text"]) if block else None


def invitee_rows(view: ViewHandle) -> list[str]:
    """The text of each invitee shown on the current page."""
    rows: list[str] = []
    seen_header = False
    for block in view.blocks:
        if block.get("block_id") == "invitees":
            seen_header = True
            continue
        if seen_header and block["type"] == "section":
            rows.append(block["text"]["text"])
        if block.get("block_id") == "days":
            break
    return rows


def remove_invitee(view: ViewHandle, name: str) -> None:
    for block in view.blocks:
        if block["type"] == "section" and f"*{name}*" in block.get("text", {}).get("text", ""):
            accessory = block.get("accessory")
            if accessory and accessory["action_id"] == "enroll.invite.remove":
                view.click("enroll.invite.remove", value=accessory["value"])
                wait_for_notice(view, f"Removed {name}")
                return
    raise AssertionError(f"{name} has no Remove button")


def landing_links(message: EmailMessage) -> list[str]:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return LANDING_LINK.findall(str(part.get_content()))


def invite_person(person: Person, search_text: str, name: str, *, platform: str = "ios") -> None:
    """One invitation batch for one person (each link enrolls one device: a person with several
    devices gets several invitations)."""
    view = open_invite(person)
    search(view, search_text)
    add_result(view, name)
    view.choose("platform", platform)
    view.wait_for_update()
    assert view.submit().closed
