"""What end users receive, from the real templates in every shipped language: the MSP's brand,
the language, dates in TIMEZONE with the zone named, and the same links in both parts."""

from __future__ import annotations

import re

import pytest

from bot.integrations.mail.render import MailRenderer
from tests.support.enduser import (
    BRAND,
    EMAILS,
    EXPIRY_SHOWN,
    LANGUAGES,
    NAME,
    SETTINGS,
    html_links,
    render_emails,
    render_pages,
    said,
    text_links,
)

ENGLISH_ONLY = ("If you did not expect this e-mail", "Questions? Write to", "Hello ")


def test_every_email_deskops_sends_is_covered() -> None:
    assert set(MailRenderer.from_settings(SETTINGS).template_names()) == set(EMAILS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_emails_carry_the_brand_language_zone_and_the_same_links(language: str) -> None:
    for name, email in render_emails(language).items():
        where = f"{name} in {language}"
        # The brand: logo with the name as its alt text, the name in the footer, the support address.
        assert f'<img src="{BRAND.logo_url}" alt="{BRAND.name}"' in email.html, where
        footer = said(
            "Sent by %(brand)s. If you did not expect this e-mail, you can ignore it.",
            language,
            brand=BRAND.name,
        )
        assert footer in email.text and footer in email.html, where
        assert f'href="mailto:{BRAND.support_email}"' in email.html and BRAND.support_email in email.text, (
            where
        )
        # The language: the document says so, and the reader is greeted in it.
        assert f'<html lang="{language}">' in email.html, where
        if name.startswith("test_message"):
            continue
        greeting = said("Hello %(name)s,", language, name=NAME)
        assert email.text.startswith(greeting) and greeting in email.html, where
        if language != "en":
            assert not any(english in email.text for english in ENGLISH_ONLY), where
        # The expiry in TIMEZONE, the zone named, in the reader's language.
        assert EXPIRY_SHOWN[language] in email.text and EXPIRY_SHOWN[language] in email.html, where
        # Both parts lead to the same places.
        assert html_links(email.html) == text_links(email.text), where
        assert email.subject and f"<title>{email.subject}</title>" in email.html.replace("&amp;", "&"), where


def test_the_links_each_email_must_carry() -> None:
    emails = render_emails("en")
    assert html_links(emails["activation"].html) == {
        "https://deskops.msp.example/activate/tok-activation",
        "https://downloads.example.com/acronis-agent",
    }
    # Both: the two stores in one e-mail.
    assert html_links(emails["enrollment_invitation"].html) == {
        "https://apps.apple.com/app/acronis-access",
        "https://play.google.com/store/apps/acronis",
        "https://deskops.msp.example/enroll/tok-invitation/open",
        "acronisaccess://enroll?server=access.msp.example&username=zlefevre",
        "https://deskops.msp.example/enroll/tok-invitation",
    }
    # Without a deep link the main button is the invitation page itself.
    assert html_links(emails["enrollment_invitation (short)"].html) == {
        "https://apps.apple.com/app/acronis-access",
        "https://play.google.com/store/apps/acronis",
        "https://deskops.msp.example/enroll/tok-invitation",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_emails_need_no_remote_content_to_be_read(language: str) -> None:
    for name, email in render_emails(language).items():
        sources = re.findall(r"""\bsrc="([^"]*)\"""", email.html)
        # The logo only (its alt text stands in for it), and the invitation's QR code, which travels
        # inside the message (cid:, multipart/related).
        inline = ["cid:invitation-link-qr@deskops"] if name.startswith("enrollment_invitation") else []
        assert sources == [BRAND.logo_url, *inline], name
        assert "<link" not in email.html and "url(" not in email.html and "@import" not in email.html, name


def test_without_a_logo_the_brand_name_heads_the_email() -> None:
    plain = MailRenderer().render_email(
        "activation", to="a@example.com", context=EMAILS["activation"], message_id="1"
    )
    assert "<img" not in plain.html
    assert re.search(r">\s*Helpdesk\s*</td>", plain.html)
    assert "Questions? Write to helpdesk@localhost." in plain.text


def test_a_language_nobody_ships_falls_back_to_language() -> None:
    renderer = MailRenderer(language="nl")
    email = renderer.render_email(
        "activation", to="a@example.com", context=EMAILS["activation"], message_id="1", language="ja"
    )
    assert '<html lang="nl">' in email.html and email.text.startswith(f"Beste {NAME},")


def test_html_is_escaped_inside_translated_sentences() -> None:
    hostile = {
        **EMAILS["activation"],
        "customer": '<img src=x onerror="alert(1)">',
        "first_name": "<b>Eve</b>",
    }
    for language in LANGUAGES:
        email = MailRenderer().render_email(
            "activation", to="a@example.com", context=hostile, message_id="1", language=language
        )
        assert "<img src=x" not in email.html and "&lt;img src=x" in email.html
        assert "<b>Eve</b>" not in email.html and "<b>Eve</b>" in email.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_carry_the_brand_language_and_zone(language: str) -> None:
    for name, page in render_pages(language).items():
        where = f"{name} in {language}"
        assert f'<html lang="{language}">' in page.html, where
        assert f'<img src="{BRAND.logo_url}" alt="{BRAND.name}">' in page.html, where
        assert f"· {BRAND.name}</title>" in page.html, where
        mailto = f'<a href="mailto:{BRAND.support_email}">{BRAND.support_email}</a>'
        assert said("Questions? Write to %(support)s.", language, support=mailto) in page.html, where
        if name.startswith(("activate.html", "enroll.html")):
            assert EXPIRY_SHOWN[language] in page.html, where
        if language != "en":
            assert "Questions? Write to" not in page.html and "This link" not in page.html, where


def test_each_problem_page_says_what_is_wrong_in_the_language() -> None:
    for language in LANGUAGES:
        pages = render_pages(language)
        expired = pages["link_problem.html (TokenProblem.EXPIRED)"]
        assert expired.status == 410
        assert said("This link has expired", language) in expired.html
        unknown = pages["link_problem.html (LinkProblem.UNKNOWN)"]
        assert unknown.status == 404 and said("This invitation link is not valid", language) in unknown.html
