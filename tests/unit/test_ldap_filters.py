"""Pure parts of the LDAP directory: the two attribute profiles' filters, escaping, DN handling,
AD range retrieval and DIRECTORY_URL parsing - no server needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ldap3.operation.search import parse_filter
from ldap3.utils.conv import unescape_filter_chars

from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.file import FileDirectory
from bot.integrations.directory.ldap import LdapDirectory
from bot.integrations.directory.ldap_values import (
    Entry,
    ValueRange,
    first_rdn,
    is_under,
    iter_ranged_values,
    normalize_dn,
    normalize_escaped_dn,
    parent_dn,
    parse_range,
    strip_optional_uid,
)
from bot.integrations.directory.port import MatchMode
from bot.integrations.directory.profiles import ACTIVE_DIRECTORY, OPENLDAP, EntryKind, LdapProfile

AD, BEGINS, CONTAINS = ACTIVE_DIRECTORY, MatchMode.BEGINS_WITH, MatchMode.CONTAINS


def test_active_directory_filters_use_its_attribute_names_and_classes() -> None:
    users, groups = AD.search_filters("Jo", BEGINS)
    assert users == (
        "(&(&(objectCategory=person)(objectClass=user))(|(displayName=Jo*)(givenName=Jo*)(sn=Jo*)"
        "(sAMAccountName=Jo*)(userPrincipalName=Jo*)(mail=Jo*)))"
    )
    assert groups == "(&(objectClass=group)(|(cn=Jo*)(sAMAccountName=Jo*)))"


def test_openldap_filters_use_its_attribute_names_and_classes() -> None:
    users, groups = OPENLDAP.search_filters("ohn", CONTAINS)
    assert users == (
        "(&(objectClass=inetOrgPerson)(|(displayName=*ohn*)(cn=*ohn*)(givenName=*ohn*)(sn=*ohn*)"
        "(uid=*ohn*)(mail=*ohn*)))"
    )
    assert groups == "(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|(cn=*ohn*)))"


def test_filter_characters_are_escaped() -> None:
    users, _ = AD.search_filters("a*b(c)d\\e\x00", CONTAINS)
    assert "(sn=*a\\2ab\\28c\\29d\\5ce\\00*)" in users


# LdapDirectory.search strips the text first (and ldap3's filter parser strips values too).
@given(
    text=st.text(min_size=1, max_size=30).filter(lambda text: text == text.strip() != ""),
    contains=st.booleans(),
    ad=st.booleans(),
)
def test_no_text_can_change_the_shape_of_the_filter(text: str, contains: bool, ad: bool) -> None:
    profile = AD if ad else OPENLDAP
    users, _ = profile.search_filters(text, CONTAINS if contains else BEGINS)
    [conjunction] = parse_filter(users, None, False, False, None, False).elements
    [_classes, alternatives] = conjunction.elements
    assert [node.assertion["attr"] for node in alternatives.elements] == list(profile.user_search_attrs)
    for node in alternatives.elements:
        # ldap3's parse: "any" is a list of middle parts, "initial" one value
        parts = node.assertion["any"] if contains else [node.assertion["initial"]]
        assert [unescape_filter_chars(part.decode()) for part in parts] == [text.encode()]
        assert not node.assertion.get("final")


@pytest.mark.parametrize(
    ("profile", "classes", "kind"),
    [
        (AD, ["top", "person", "organizationalPerson", "user"], EntryKind.USER),
        (AD, ["top", "person", "organizationalPerson", "user", "computer"], None),
        (AD, ["top", "group"], EntryKind.GROUP),
        (AD, ["top", "contact"], None),
        (OPENLDAP, ["inetOrgPerson"], EntryKind.USER),
        (OPENLDAP, ["groupOfUniqueNames"], EntryKind.GROUP),
        (OPENLDAP, ["organizationalRole", "simpleSecurityObject"], None),
    ],
)
def test_entries_met_as_members_are_classified_like_the_filters(
    profile: LdapProfile, classes: list[str], kind: EntryKind | None
) -> None:
    assert profile.classify(classes) is kind


def test_missing_attributes_fall_back_to_other_names() -> None:
    user = OPENLDAP.user_from_entry("uid=ab,dc=x", {"uid": ["ab"], "givenname": ["Ada"], "sn": ["Byron"]})
    assert (user.display_name, user.account_name, user.email) == ("Ada Byron", "ab", None)
    user = AD.user_from_entry("CN=Ada,DC=x", {"cn": ["Ada"], "userprincipalname": ["ada@corp.example"]})
    assert (user.display_name, user.account_name) == ("Ada", "ada@corp.example")


# --- distinguished names -----------------------------------------------------------------------


def test_spellings_of_one_dn_compare_equal() -> None:
    same = ["cn=José Díaz,ou=People,dc=example,dc=com", "CN=JOSÉ DÍAZ, OU=people, DC=Example, DC=com"]
    same.append("cn=Jos\\C3\\A9 D\\C3\\ADaz,ou=people,dc=example,dc=com")
    assert len({normalize_dn(dn) for dn in same}) == 1
    assert normalize_dn("cn=Doe\\, John,dc=x") != normalize_dn("cn=Doe,cn=John,dc=x")


_TYPES = st.sampled_from(["uid", "cn", "OU", "dc", "CN", " cn ", "sAMAccountName"])
_VALUES = st.one_of(
    st.text(alphabet="aZéßİ .-_@'0", max_size=8),  # what the fast path takes
    st.text(alphabet="aZé ß.,=+-_@'\\#\"<>;0", max_size=8),  # and what it must leave alone
)


@given(st.lists(st.tuples(_TYPES, _VALUES), min_size=1, max_size=4))
def test_the_fast_normalisation_agrees_with_the_full_one(components: list[tuple[str, str]]) -> None:
    dn = ",".join(f"{kind}={value}" for kind, value in components)
    assert normalize_dn(dn) == normalize_escaped_dn(dn)


def test_parent_dn() -> None:
    assert parent_dn("uid=a, ou=People ,dc=x") == "ou=People ,dc=x"
    assert normalize_dn(parent_dn("cn=Doe\\, John,ou=p,dc=x") or "") == "ou=p,dc=x"
    assert parent_dn("dc=x") is None
    assert parent_dn("not a dn") is None


def test_dn_helpers() -> None:
    base = normalize_dn("dc=example,dc=com")
    assert is_under(normalize_dn("uid=a,ou=p,DC=Example,DC=com"), base)
    assert not is_under(normalize_dn("uid=a,dc=notexample,dc=com"), base)
    assert first_rdn("cn=Doe\\, John,ou=p,dc=x") == ("cn", "Doe, John")
    assert first_rdn("not a dn") is None
    assert strip_optional_uid("uid=a,dc=x#'0101'B") == "uid=a,dc=x"


# --- Active Directory range retrieval ----------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("member;range=0-1499", ValueRange(0, 1499)),
        ("member;Range=1500-*", ValueRange(1500, None)),
        ("member", None),
        ("member;binary", None),
    ],
)
def test_range_options_are_parsed(description: str, expected: ValueRange | None) -> None:
    assert parse_range(description) == expected


class FakeActiveDirectory:
    """Answers a read of `member`/`member;range=N-*` like AD with MaxValRange=1500."""

    def __init__(self, members: int, page: int = 1500) -> None:
        self.values = [f"CN=User {number},OU=Staff,DC=corp,DC=example" for number in range(members)]
        self.page = page
        self.requested: list[str] = []

    def read(self, description: str) -> Entry | None:
        self.requested.append(description)
        low = parse_range(description).low if parse_range(description) else 0  # type: ignore[union-attr]
        if low == 0 and len(self.values) <= self.page:
            return {"member": self.values}
        high = min(low + self.page, len(self.values)) - 1
        last = high == len(self.values) - 1
        # ldap3 also reports the plain name, empty, when the server answered with a range.
        return {"member": [], f"member;range={low}-{'*' if last else high}": self.values[low : high + 1]}


def test_range_retrieval_streams_every_member_of_a_big_group_in_order() -> None:
    directory = FakeActiveDirectory(3501)
    assert list(iter_ranged_values(directory.read, "member")) == directory.values
    assert directory.requested == ["member", "member;range=1500-*", "member;range=3000-*"]


def test_small_groups_and_servers_without_ranges_take_one_read() -> None:
    directory = FakeActiveDirectory(10)
    assert len(list(iter_ranged_values(directory.read, "member"))) == 10
    assert directory.requested == ["member"]
    assert list(iter_ranged_values(lambda _: {}, "member")) == []
    assert list(iter_ranged_values(lambda _: None, "member")) == []


# --- DIRECTORY_URL ---------------------------------------------------------------------------


def test_no_url_means_the_bundled_sample() -> None:
    directory = build_directory(None)
    assert isinstance(directory, FileDirectory)
    assert directory.check().startswith("file: the bundled sample directory")


@pytest.mark.parametrize(
    ("url", "address", "base"),
    [
        ("ldap://127.0.0.1:3890/dc=example,dc=com", "ldap://127.0.0.1:3890", "dc=example,dc=com"),
        ("ldap://127.0.0.1/dc=example,dc=com", "ldap://127.0.0.1:389", "dc=example,dc=com"),
        ("LDAPS://127.0.0.1/ou=IT%20Staff,dc=example", "ldaps://127.0.0.1:636", "ou=IT Staff,dc=example"),
    ],
)
def test_ldap_urls_carry_the_base_dn_in_their_path(url: str, address: str, base: str) -> None:
    directory = build_directory(
        url, bind_dn="cn=admin,dc=example,dc=com", bind_password="pw", profile="openldap"
    )
    assert isinstance(directory, LdapDirectory)
    assert (directory.url, directory.base_dn) == (address, base)


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ldap://127.0.0.1:3890", {}, "DIRECTORY_URL: the base DN is missing"),
        ("ldap://127.0.0.1/not-a-dn", {}, "is not a DN"),
        ("ldap://127.0.0.1:http/dc=x", {}, "port .* is not a number"),
        ("ldap://admin:S3cret@127.0.0.1/dc=x", {}, "set DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD"),
        ("ldap://127.0.0.1/dc=x??sub?(uid=*)", {}, "come from DIRECTORY_PROFILE"),
        ("http://127.0.0.1/dc=x", {}, "'http://' is not supported"),
        ("/nonexistent/staff.yaml", {}, "no directory file at /nonexistent/staff.yaml"),
        ("ldap://127.0.0.1/dc=x", {"profile": "novell"}, "DIRECTORY_PROFILE: unknown profile 'novell'"),
        ("ldap://127.0.0.1/dc=x", {"bind_dn": "cn=a,dc=x"}, "DIRECTORY_BIND_PASSWORD: required"),
    ],
)
def test_a_bad_directory_setting_is_one_clear_line(url: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        build_directory(url, **options)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)
    assert "S3cret" not in str(caught.value)
