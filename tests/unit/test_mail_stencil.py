"""A batch's invitation e-mails rendered once and filled for each person are exactly the e-mails
the template renders for each of them, whatever their names hold, in every language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import ChoiceLoader, DictLoader, PackageLoader

from bot.enrollment.links import PERSONAL_VALUES, EnrollmentLinks
from bot.enrollment.models import PlatformChoice
from bot.integrations.mail.port import OutgoingEmail
from bot.integrations.mail.render import MailRenderer

LINKS = EnrollmentLinks(
    public_url="https://deskops.msp.example",
    server="access.msp.example",
    ios_app_url="https://apps.apple.com/app/acronis-access",
    android_app_url="https://play.google.com/store/apps/acronis",
    deep_link_template="acronisaccess://enroll?server={server}&username={username}",
)
EXPIRES = datetime(2026, 12, 10, 17, 30, tzinfo=UTC)
PEOPLE = [
    ("Zoë Lefèvre", "zlefevre", "zoe@example.com"),
    ('<script>alert("x")</script> & Co', "o'brien", "obrien@example.com"),
    ("Percent %(name)s %s {{ name }}", "x%41y", "pct@example.com"),
    ("Amélie « Ami » Čapek 山田", "amelie", "amelie@example.com"),
    ("", "", "empty@example.com"),
    ("Two  spaces\nand a line", "tab\tuser", "odd@example.com"),
    ("Back to normal", "normal", "normal@example.com"),
]


def direct(renderer: MailRenderer, links: EnrollmentLinks, language: str | None, index: int) -> OutgoingEmail:
    name, username, to = PEOPLE[index]
    return renderer.render_email(
        "enrollment_invitation",
        to=to,
        context=links.email_context(
            f"tok{index}",
            display_name=name,
            platform=PlatformChoice.BOTH,
            username=username,
            expires_at=EXPIRES,
        ),
        message_id=f"invitation-{index}",
        language=language,
    )


@pytest.mark.parametrize("language", [None, "de", "fr", "nl"])
@pytest.mark.parametrize("server", ["access.msp.example", None])
def test_every_filled_email_equals_the_templates_own_rendering(
    language: str | None, server: str | None
) -> None:
    renderer = MailRenderer()
    links = EnrollmentLinks(**{**LINKS.__dict__, "server": server})
    stencil = renderer.stencil(
        "enrollment_invitation",
        context=links.batch_context(PlatformChoice.BOTH, EXPIRES),
        personal=PERSONAL_VALUES,
        language=language,
    )

    for index, (name, username, to) in enumerate(PEOPLE * 2):
        filled = stencil.email(
            to,
            links.personal_context(f"tok{index % len(PEOPLE)}", display_name=name, username=username),
            message_id=f"invitation-{index % len(PEOPLE)}",
        )
        assert filled == direct(renderer, links, language, index % len(PEOPLE))


def test_the_html_part_escapes_what_a_person_typed() -> None:
    renderer = MailRenderer()
    stencil = renderer.stencil(
        "enrollment_invitation",
        context=LINKS.batch_context(PlatformChoice.IOS, EXPIRES),
        personal=PERSONAL_VALUES,
    )
    stencil.email(
        "first@example.com", LINKS.personal_context("t1", display_name="First", username="f"), message_id="1"
    )

    email = stencil.email(
        "obrien@example.com",
        LINKS.personal_context("t2", display_name='<b onclick="x()">Bob</b> & Co', username="bob"),
        message_id="2",
    )

    assert "<b onclick" not in email.html
    assert "Hello &lt;b onclick=&#34;x()&#34;&gt;Bob&lt;/b&gt; &amp; Co," in email.html
    assert 'Hello <b onclick="x()">Bob</b> & Co,' in email.text


def test_a_template_that_transforms_a_personal_value_is_rendered_for_each_person() -> None:
    # A filter on a personal value cannot be filled in: the first e-mail shows the difference
    # and every e-mail is then rendered in full.
    loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "shout.subject.txt": "Hi {{ name|upper }}",
                    "shout.txt": "Hello {{ name|upper }}",
                    "shout.html": "<p>Hello {{ name|upper }}</p>",
                }
            ),
            PackageLoader("bot.integrations.mail", "templates"),
        ]
    )
    renderer = MailRenderer(loader=loader)
    stencil = renderer.stencil("shout", context={}, personal=("name",))

    emails = [stencil.email(f"{n}@example.com", {"name": n}, message_id=n) for n in ("ann", "bob", "cy")]

    assert [email.subject for email in emails] == ["Hi ANN", "Hi BOB", "Hi CY"]
    assert [email.html for email in emails] == ["<p>Hello ANN</p>", "<p>Hello BOB</p>", "<p>Hello CY</p>"]


def test_a_batch_renders_the_template_once_and_checks_it_once() -> None:
    renders: list[str] = []

    class CountingRenderer(MailRenderer):
        def render_email(self, template: str, **kwargs: object) -> OutgoingEmail:  # type: ignore[override]
            renders.append(template)
            return super().render_email(template, **kwargs)  # type: ignore[arg-type]

    stencil = CountingRenderer().stencil(
        "enrollment_invitation",
        context=LINKS.batch_context(PlatformChoice.IOS, EXPIRES),
        personal=PERSONAL_VALUES,
    )
    for number in range(50):
        stencil.email(
            f"user{number}@example.com",
            LINKS.personal_context(f"t{number}", display_name=f"User {number}", username=f"user{number}"),
            message_id=str(number),
        )

    assert len(renders) == 2  # the stencil, and the first person's e-mail to check it against
