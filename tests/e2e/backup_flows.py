"""What a helpdesk person does in the /backup modals, as reusable steps for the tests."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from console.driver import Person
from console.viewhandle import SubmitResult, ViewHandle
from tests.support.slack import HELPDESK_CHANNEL

ADD_USER = "backup.add_user"
BACKUP_SETTINGS = "backup.add_user.backup_settings"
ACTIVATION_LINK = re.compile(r"https?://[^\s\"'<>]+/activate/[A-Za-z0-9_\-]+")


def option_value(view: ViewHandle, block_id: str, label: str) -> str:
    element = view.block(block_id)["element"]
    return next(str(o["value"]) for o in element["options"] if o["text"]["text"] == label)


def open_add_user(person: Person, customer: str = "", *, channel: str = HELPDESK_CHANNEL) -> ViewHandle:
    person.slash("/backup", f"add {customer}".strip(), channel=channel)
    return person.wait_for_view(callback_id=ADD_USER)


def fill_user(
    view: ViewHandle, first: str = "John", last: str = "Doe", email: str = "john.doe@example.com"
) -> None:
    view.fill("first_name", first)
    view.fill("last_name", last)
    view.fill("email", email)


def add_user_without_backup(
    person: Person,
    customer: str,
    *,
    first: str = "John",
    last: str = "Doe",
    email: str = "john.doe@example.com",
) -> SubmitResult:
    view = open_add_user(person, customer)
    fill_user(view, first, last, email)
    view.tick("services", [])
    view.wait_for_update()  # the submit button now reads "Create"
    result = view.submit()
    assert result.errors is None, result.errors
    return result


def add_user_with_backup(
    person: Person,
    customer: str,
    *,
    email: str = "john.doe@example.com",
    subscription: str | None = None,
    notifications: str = "errors",
) -> SubmitResult:
    view = open_add_user(person, customer)
    fill_user(view, email=email)
    step = view.submit()
    assert step.errors is None, step.errors
    settings = step.view
    assert settings is not None and settings.callback_id == BACKUP_SETTINGS
    if subscription is not None:
        settings.choose("subscription", option_value(settings, "subscription", subscription))
    settings.choose("notifications", notifications)
    done = settings.submit()
    assert done.errors is None, done.errors
    return done


def read_eml(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def activation_link(message: EmailMessage) -> str:
    match = ACTIVATION_LINK.search(body_text(message))
    assert match, "no activation link in the e-mail"
    return match.group(0)
