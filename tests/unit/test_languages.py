"""Which language a customer's users read, and what deskops says about a language it lacks."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.customers.models import Customer
from bot.customers.service import (
    CustomerSummary,
    ImportError_,
    apply_platform_language,
    language_for_customer,
    parse_customer_file,
)
from bot.i18n.languages import SHIPPED_LANGUAGES, UnknownLanguage, parse_language, platform_language


def test_english_german_french_and_dutch_are_shipped() -> None:
    assert {"en", "de", "fr", "nl"} <= set(SHIPPED_LANGUAGES)


@pytest.mark.parametrize(("tag", "code"), [("de", "de"), ("DE", "de"), ("de-DE", "de"), ("nl_BE", "nl")])
def test_a_language_may_be_written_with_its_region(tag: str, code: str) -> None:
    assert parse_language(tag) == code


@pytest.mark.parametrize("tag", ["xx", "", "german", "de DE", "pt-BR"])
def test_an_unshipped_language_names_the_shipped_ones(tag: str) -> None:
    with pytest.raises(UnknownLanguage, match="use one of en, de, fr, nl"):
        parse_language(tag)


def test_brand_and_language_settings_default_to_the_plain_set_up() -> None:
    loaded = load_settings(_env_file=None)
    assert loaded.brand_name == "Helpdesk" and loaded.brand_logo_url is None
    assert loaded.language == "en"
    assert loaded.support_address == "helpdesk@localhost"
    named = load_settings(_env_file=None, mail_from="Contoso IT <it@contoso.example>")
    assert named.support_address == "it@contoso.example"
    own = load_settings(_env_file=None, support_email="Support@Contoso.example", language="fr-BE")
    assert own.support_address.lower() == "support@contoso.example" and own.language == "fr"


def test_bad_brand_and_language_settings_name_the_variable() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(
            _env_file=None,
            language="klingon",
            brand_logo_url="logo.png",
            support_email="help",
            brand_name=" ",
        )
    found = sorted(line.split(":")[0] for line in error.value.problems)
    assert found == ["BRAND_LOGO_URL", "BRAND_NAME", "LANGUAGE", "SUPPORT_EMAIL"]
    assert any("use one of en, de, fr, nl" in line for line in error.value.problems)


def test_the_customers_file_takes_a_language_and_names_a_wrong_one() -> None:
    document = parse_customer_file(
        {"customers": [{"name": "Acme", "language": "de-AT", "subscriptions": ["PAYG"]}]}
    )
    assert document.customers[0].language == "de"
    with pytest.raises(ImportError_) as error:
        parse_customer_file({"customers": [{"name": "Acme", "language": "xx", "subscriptions": ["PAYG"]}]})
    assert (
        str(error.value)
        == "customers.0.language: 'xx' is not a language deskops ships; use one of en, de, fr, nl"
    )


def test_a_customer_without_a_language_gets_the_default() -> None:
    german = CustomerSummary(id=1, name="Acme", subscriptions=(), language="de")
    plain = CustomerSummary(id=2, name="Globex", subscriptions=())
    assert language_for_customer(german, "fr") == "de"
    assert language_for_customer(plain, "fr") == "fr"
    assert language_for_customer(None, "nl") == "nl"


def test_a_platform_language_is_taken_only_when_shipped() -> None:
    customer = Customer(name="Acme", language=None)
    assert platform_language("pt_BR") is None and platform_language(None) is None
    assert not apply_platform_language(customer, "ja") and customer.language is None
    assert apply_platform_language(customer, "nl-NL") and customer.language == "nl"
    assert not apply_platform_language(customer, "nl")
