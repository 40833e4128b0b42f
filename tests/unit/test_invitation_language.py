"""The language of an invitation batch: chosen in Send Enrollment Invitation, checked on Send."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from blocks.enroll.sending_settings import LANGUAGES_SHOWN, language_blocks
from bot.customers.models import Customer
from bot.customers.service import CustomerLanguages, customer_languages
from bot.db import Database
from bot.enrollment.checks import check_language
from bot.errors import FieldErrors
from tests.unit.blockkit_payloads import LIMITS


def test_the_choice_defaults_to_language_and_a_forged_one_is_refused_on_the_field() -> None:
    assert check_language(None, default="nl") == "nl"
    assert check_language("de-AT", default="nl") == "de"
    with pytest.raises(FieldErrors) as refused:
        check_language("xx", default="nl")
    assert refused.value.errors == {
        "language": "'xx' is not a language deskops ships; use one of en, de, fr, nl"
    }


def test_the_modal_names_each_customers_language_and_fits_with_thousands() -> None:
    few = CustomerLanguages(default="en", own=(("Acme", "de"), ("Initech", "fr")), others=3)
    blocks = [block.to_dict() for block in language_blocks(few)]
    select = blocks[0]["element"]
    assert blocks[0]["label"]["text"] == "Language" and select["initial_option"]["value"] == "en"
    assert [o["value"] for o in select["options"]] == ["en", "de", "fr", "nl"]
    assert blocks[1]["elements"][0]["text"] == (
        "*Customers' languages:* Acme: German (Deutsch) · Initech: French (français)"
        " · the other customers: English (the default)"
    )
    many = CustomerLanguages(
        default="nl", own=tuple((f"Customer {n} <&>" * 5, "de") for n in range(5000)), others=20000
    )
    blocks = language_blocks(many)
    text = json.dumps(blocks[1].to_dict())
    assert f"{5000 - LANGUAGES_SHOWN:,} more" in text and "&lt;&amp;&gt;" in text
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Invitation"},
        "submit": {"type": "plain_text", "text": "Send"},
    }
    assert LIMITS.validate_view({**view, "blocks": [block.to_dict() for block in blocks]}) == []


def test_without_customers_of_their_own_language_only_the_choice_is_shown() -> None:
    blocks = language_blocks(CustomerLanguages(default="fr", own=(), others=0))
    assert len(blocks) == 1


def test_the_customers_languages_follow_a_change_made_by_this_process(unit_db: Database) -> None:
    """The form keeps the customers' languages for a short while; a customer changed through
    deskops (an import, a platform sync) shows at once."""
    with unit_db.transaction() as session:
        session.add(Customer(name="Acme", language="de", created_at=datetime(2026, 11, 2, tzinfo=UTC)))
    with unit_db.read() as session:
        assert customer_languages(session, "en").own == (("Acme", "de"),)
    with unit_db.write() as connection:  # as another replica would: not seen while kept
        connection.execute(update(Customer).values(language="nl"))
    with unit_db.read() as session:
        assert customer_languages(session, "en").own == (("Acme", "de"),)
    with unit_db.transaction() as session:
        session.scalars(select(Customer)).one().language = "fr"
    with unit_db.read() as session:
        assert customer_languages(session, "en").own == (("Acme", "fr"),)
