"""Reading and checking a CSV of backup users: what a helpdesk person sees for each kind of bad file
or row, with the rules of the Add New User modal."""

from __future__ import annotations

import pytest

from bot.accounts.imports import (
    COLUMNS,
    MAX_ROWS,
    CustomerRules,
    ImportFileError,
    check_rows,
    read_rows,
)
from bot.accounts.models import NotificationLevel, Role

HEADER = ",".join(COLUMNS)
RULES = CustomerRules(
    customer_id=7,
    customer_name="Acme",
    subscriptions={"PAYG": 1, "Capped Storage": 2},
    existing_emails=frozenset({"taken@acme.example"}),
    phone_region="NL",
    login_problem=lambda login: "The platform refuses '+' in sign-in names." if "+" in login else None,
)


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def checked(*rows: str) -> tuple[list[str], list[str]]:
    result = check_rows(read_rows(csv_bytes(*rows)), RULES)
    return [r.new_user.email for r in result.rows], [str(e) for e in result.errors]


def test_a_good_file_with_and_without_bom_gives_each_user_as_add_new_user_would() -> None:
    rows = (
        "Zoë,Meyer,zoe@acme.example,User,,,,,",
        "Ann,Admin,ann@acme.example,Administrator,ann.notify@acme.example,Main St 1 Amsterdam,+31 20 123 4567,"
        "Capped Storage,Errors and warnings",
    )
    for bom in (False, True):
        result = check_rows(read_rows(csv_bytes(*rows, bom=bom)), RULES)
        assert result.errors == []
        zoe, ann = result.rows
        assert (zoe.row, zoe.new_user.first_name, zoe.new_user.role, zoe.backup) == (
            2,
            "Zoë",
            Role.USER,
            None,
        )
        assert ann.row == 3 and ann.new_user.role is Role.ADMINISTRATOR
        assert ann.new_user.notification_email == "ann.notify@acme.example"
        assert ann.backup is not None
        assert (ann.backup.subscription_id, ann.backup.notification_level) == (
            2,
            NotificationLevel.ERRORS_AND_WARNINGS,
        )
        assert result.total == 2 and result.administrators == 1


def test_columns_in_any_order_semicolons_and_only_the_required_ones() -> None:
    data = b"email;last_name;first_name\r\nbo@acme.example;Berg;Bo\r\n"
    result = check_rows(read_rows(data), RULES)
    assert [(r.new_user.first_name, r.new_user.last_name) for r in result.rows] == [("Bo", "Berg")]


def test_each_bad_row_is_named_by_row_number_and_column() -> None:
    emails, errors = checked(
        "Al,Good,al@acme.example,,,,,,",
        ",Nofirst,nofirst@acme.example,,,,,,",
        "Bad,Mail,not-an-address,,,,,,",
        "Ad,Min,admin@acme.example,Administrator,,,,,",
        "Ro,Le,role@acme.example,Boss,,,,,",
        "Su,Bs,subs@acme.example,,,,,Gold,All",
        "No,Ti,noti@acme.example,,,,,PAYG,Sometimes",
        "Tw,In,twin@acme.example,,twin@acme.example,,,,",
    )
    assert emails == ["al@acme.example"]
    assert "Row 3, first_name: Enter a first name." in errors
    assert any(e.startswith("Row 4, email: 'not-an-address' is not a valid e-mail address") for e in errors)
    assert "Row 5, address: Enter an address." in errors or any(
        e.startswith("Row 5, address") for e in errors
    )
    assert any(e.startswith("Row 5, phone") for e in errors)
    assert "Row 6, role: 'Boss' is not a role: enter User or Administrator." in errors
    assert "Row 7, subscription: 'Gold' is not a subscription of Acme (PAYG, Capped Storage)." in errors
    assert any(
        e.startswith("Row 8, notifications: 'Sometimes' is not a notification setting") for e in errors
    )
    assert any(
        e.startswith("Row 9, notification_email: This is the same as the sign-in e-mail") for e in errors
    )


def test_duplicates_within_the_file_and_against_the_customers_users_and_the_platform() -> None:
    emails, errors = checked(
        "A,One,dup@acme.example,,,,,,",
        "B,Two,DUP@acme.example,,,,,,",
        "C,Three,taken@acme.example,,,,,,",
        "D,Four,d+x@acme.example,,,,,,",
    )
    assert emails == ["dup@acme.example"]
    assert errors == [
        "Row 3, email: the same e-mail as row 2.",
        "Row 4, email: Acme already has a user with this e-mail.",
        "Row 5, email: The platform refuses '+' in sign-in names.",
    ]


def test_backup_needs_the_subscription_when_the_customer_has_several_and_names_them() -> None:
    _, errors = checked("A,One,a@acme.example,,,,,,All")
    assert errors == ["Row 2, subscription: Enter one of the subscriptions of Acme: PAYG, Capped Storage."]
    single = CustomerRules(**{**RULES.__dict__, "subscriptions": {"PAYG": 1}})
    result = check_rows(read_rows(csv_bytes("A,One,a@acme.example,,,,,,errors")), single)
    assert result.rows[0].backup is not None and result.rows[0].backup.subscription_id == 1


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "The file is empty"),
        (b"   \r\n", "The file is empty"),
        (HEADER.encode() + b"\r\n\r\n", "no users"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b"\x00\x01\x02binary", "not a CSV text file"),
        ("first_name,last_name,email\r\nJosé,Núñez,j@acme.example\r\n".encode("latin-1"), "not UTF-8"),
        (b"name,mail\r\nA,a@acme.example\r\n", "missing first_name, last_name, email"),
        (b"first_name,last_name,email,phone_number\r\n", "unknown 'phone_number'"),
        (b"first_name,last_name,email,email\r\n", "twice email"),
        (b'first_name,last_name,email\r\n"A,B,c@acme.example\r\n', "not a well-formed CSV"),
    ],
)
def test_a_file_that_is_not_a_user_list_says_how_to_fix_it(data: bytes, says: str) -> None:
    with pytest.raises(ImportFileError, match=says):
        read_rows(data)


def test_too_many_rows_are_refused_before_checking_any() -> None:
    rows = [f"F{i},L{i},u{i}@acme.example" for i in range(MAX_ROWS + 1)]
    data = ("first_name,last_name,email\r\n" + "\r\n".join(rows)).encode()
    with pytest.raises(ImportFileError, match="more than 10,000 users"):
        read_rows(data)


def test_five_thousand_rows_are_read_and_checked() -> None:
    rows = [f"First{i},Last{i},user{i}@acme.example,,,,,PAYG,All" for i in range(5000)]
    result = check_rows(read_rows(csv_bytes(*rows)), RULES)
    assert (len(result.rows), result.errors) == (5000, [])
    assert result.rows[-1].row == 5001


def test_a_row_with_more_values_than_columns_says_to_quote_commas() -> None:
    data = b"first_name,last_name,email,address\r\nA,B,a@acme.example,Main St 1, Amsterdam\r\n"
    with pytest.raises(ImportFileError, match="Row 2 has 5 values but the header names 4 columns"):
        read_rows(data)
