"""LdapDirectory against a real slapd: what the /enroll invite modal's Search and Add rely on."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import ldap3
import pytest

from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.file import FileDirectory
from bot.integrations.directory.ldap import LdapDirectory
from bot.integrations.directory.port import Directory, DirectoryError, DirectoryUser, MatchMode
from bot.integrations.directory.profiles import OPENLDAP
from tests.support.slapd import (
    BASE_DN,
    BULK,
    BULK_GROUP_DN,
    BULK_USERS,
    GROUPS,
    PEOPLE,
    READER_DN,
    READER_PASSWORD,
    SIZE_LIMIT,
    Slapd,
    base_ldif,
    bulk_ldif,
    ldif_entry,
    require_slapd,
)
from tests.support.slapd_ad import AD_LIKE_INDEXES, AD_LIKE_SCHEMA, AD_LIKE_SCHEMAS, COMPUTER_DN, ad_like_ldif

pytestmark = pytest.mark.slapd
BEGINS, CONTAINS = MatchMode.BEGINS_WITH, MatchMode.CONTAINS
SAMPLE = FileDirectory.sample()


def connect(server: Slapd, *, profile: str = "openldap", **options: object) -> Directory:
    settings: dict[str, object] = {"bind_dn": READER_DN, "bind_password": READER_PASSWORD, "timeout": 5.0}
    settings.update(options)
    return build_directory(server.url, profile=profile, **settings)  # type: ignore[arg-type]


@pytest.fixture
def directory(slapd_server: Slapd) -> Directory:
    return connect(slapd_server)


def names(users: list[DirectoryUser] | Iterator[DirectoryUser]) -> set[str]:
    return {user.display_name for user in users}


# --- Search -------------------------------------------------------------------------------------


def test_begins_with_jo_finds_john_doe_and_mary_johnson_by_her_last_name(directory: Directory) -> None:
    result = directory.search("Jo")
    assert names(result.users) == {"John Doe", "Mary Johnson"}
    assert result.groups == []
    assert not result.truncated


def test_ohn_finds_them_only_with_contains(directory: Directory) -> None:
    assert directory.search("ohn", BEGINS).users == []
    assert names(directory.search("ohn", CONTAINS).users) == {"John Doe", "Mary Johnson"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wróbel", "Łukasz Wróbel"),  # last name
        ("ŁUKASZ", "Łukasz Wróbel"),  # first name, case-insensitive beyond ASCII
        ("praghun", "Priya Raghunathan"),  # account name (uid)
        ("francois.dub", "François Dubois"),  # e-mail
        ("zoë lef", "Zoë Lefèvre"),  # display name
    ],
)
def test_begins_with_matches_every_name_field(directory: Directory, text: str, expected: str) -> None:
    assert names(directory.search(text).users) == {expected}


def test_groups_are_found_by_name_and_users_come_with_their_details(directory: Directory) -> None:
    result = directory.search("field")
    assert [group.name for group in result.groups] == ["Field Engineers"]
    assert result.groups[0].description == "On-site installation and support"
    [kwame] = directory.search("Kwame").users
    assert (kwame.account_name, kwame.first_name, kwame.last_name) == ("kmensah", "Kwame", "Mensah")
    assert kwame.email is None  # shown as "No email address assigned" in the modal


def test_more_matches_than_the_limit_are_cut_and_flagged(directory: Directory) -> None:
    result = directory.search("Bulk", limit=5)
    assert len(result.users) == 5
    assert result.truncated
    assert [group.name for group in result.groups] == ["Bulk Recipients"]


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("*", CONTAINS, {"Star*Light Studio"}),
        ("Star*", BEGINS, {"Star*Light Studio"}),
        ("(", BEGINS, {"(Temp) Pat Wells"}),
        (")(", CONTAINS, {"Odd )( Bracket"}),
        ("\\", CONTAINS, {"CORP\\backup Service"}),
        ("Jo*", BEGINS, set()),  # not "everything starting with Jo"
        ("*)(uid=*", CONTAINS, set()),  # no filter injection
        ("Jo\x00", BEGINS, set()),
        ("\x00", CONTAINS, set()),
    ],
)
def test_filter_characters_typed_by_a_user_are_literal(
    directory: Directory, text: str, mode: MatchMode, expected: set[str]
) -> None:
    result = directory.search(text, mode)
    assert names(result.users) == expected
    assert result.groups == []


def test_get_user_returns_what_search_found_and_none_for_anything_else(directory: Directory) -> None:
    [john] = directory.search("John Doe").users
    assert directory.get_user(john.id) == john
    assert directory.get_user(f"uid=nobody,{PEOPLE}") is None
    assert directory.get_user(f"cn=Sales,{GROUPS}") is None  # a group is not a user
    assert directory.get_user("not a DN") is None


# --- Group expansion ---------------------------------------------------------------------------


def test_a_2000_member_group_expands_completely_past_the_server_size_limit(
    slapd_server: Slapd,
    directory: Directory,
) -> None:
    # The premise: a plain search for those users is cut at the server's limit.
    plain = ldap3.Connection(ldap3.Server("127.0.0.1", port=slapd_server.port), READER_DN, READER_PASSWORD)
    plain.bind()
    plain.search(BULK, "(objectClass=inetOrgPerson)", attributes=["1.1"])
    assert (plain.result["description"], len(plain.response)) == ("sizeLimitExceeded", SIZE_LIMIT)
    plain.unbind()

    members = directory.expand_group(BULK_GROUP_DN)
    first = next(members)  # streamed: users arrive before the group is resolved
    emails = [first.email, *(user.email for user in members)]
    assert len(emails) == BULK_USERS
    assert set(emails) == {f"bulk{number:05d}@example.com" for number in range(BULK_USERS)}


def test_nested_groups_expand_recursively_each_user_once(directory: Directory) -> None:
    users = list(directory.expand_group(f"cn=All Staff,{GROUPS}"))
    # John Doe is in All Staff directly and through Field Engineers.
    assert sorted(user.id.split(",")[0] for user in users) == sorted(
        f"uid={user.id}" for user in SAMPLE.users
    )
    assert len(users) == len(SAMPLE.users)
    assert [user.email for user in users if user.display_name == "Kwame Mensah"] == [None]


def test_cyclic_groups_terminate(directory: Directory) -> None:
    assert names(directory.expand_group(f"cn=Cycle A,{GROUPS}")) == {"John Doe", "Mary Johnson"}


def test_group_of_unique_names_expands_only_real_people_under_the_base(directory: Directory) -> None:
    # Members: one with an optional UID (#'0101'B), one spelled in capitals with spaces, one
    # deleted, one outside the base DN and one that is no person.
    assert names(directory.expand_group(f"cn=Auditors,{GROUPS}")) == {"Siobhán O'Brien", "Aiko Tanaka"}


def test_expanding_a_group_that_is_gone_says_to_search_again(directory: Directory) -> None:
    with pytest.raises(DirectoryError, match="search again"):
        list(directory.expand_group(f"cn=Disbanded,{GROUPS}"))
    with pytest.raises(DirectoryError, match="search again"):
        list(directory.expand_group(f"uid=jdoe,{PEOPLE}"))  # a user, not a group


@pytest.fixture(scope="module")
def tight_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """Size limit 50, below the 200 DNs resolved per search. The reader cannot page past it
    (OpenLDAP's default); the pager can (size.prtotal=unlimited)."""
    require_slapd()
    accounts = {READER_DN: READER_PASSWORD, f"cn=pager,{BASE_DN}": "pager-secret"}
    ldif = base_ldif(accounts=accounts) + bulk_ldif(300)
    limits = f'limits dn.exact="cn=pager,{BASE_DN}" size.soft=50 size.hard=50 size.prtotal=unlimited'
    with Slapd(tmp_path_factory.mktemp("tight"), ldif, sizelimit="50", database_lines=[limits]) as server:
        yield server


def test_expansion_survives_a_size_limit_below_its_batch_size(tight_slapd: Slapd) -> None:
    emails = [user.email or "" for user in connect(tight_slapd).expand_group(BULK_GROUP_DN)]
    assert sorted(emails) == [f"bulk{number:05d}@example.com" for number in range(300)]


def test_expansion_follows_paged_results_across_pages(tight_slapd: Slapd) -> None:
    directory = LdapDirectory(
        host=tight_slapd.host,
        port=tight_slapd.port,
        base_dn=BASE_DN,
        profile=OPENLDAP,
        bind_dn=f"cn=pager,{BASE_DN}",
        bind_password="pager-secret",
        page_size=40,
    )
    emails = [user.email or "" for user in directory.expand_group(BULK_GROUP_DN)]
    assert sorted(emails) == [f"bulk{number:05d}@example.com" for number in range(300)]


def pager_directory(server: Slapd, *, as_reader: bool = False, **options: int) -> LdapDirectory:
    """The pager may page past the size limit of 50; the reader may not."""
    return LdapDirectory(
        host=server.host,
        port=server.port,
        base_dn=BASE_DN,
        profile=OPENLDAP,
        bind_dn=READER_DN if as_reader else f"cn=pager,{BASE_DN}",
        bind_password=READER_PASSWORD if as_reader else "pager-secret",
        **options,
    )


@pytest.fixture(scope="module")
def crowded_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """300 users under ou=bulk; "Last Ones" holds the last 120 of them and a user elsewhere."""
    require_slapd()
    accounts = {READER_DN: READER_PASSWORD, f"cn=pager,{BASE_DN}": "pager-secret"}
    members = [f"uid=bulk{number:05d},{BULK}" for number in range(180, 300)] + [f"uid=solo,{PEOPLE}"]
    ldif = base_ldif(accounts=accounts) + bulk_ldif(300)
    ldif += ldif_entry(
        f"uid=solo,{PEOPLE}",
        {
            "objectClass": "inetOrgPerson",
            "uid": "solo",
            "cn": "Solo",
            "sn": "Solo",
            "mail": "solo@example.com",
        },
    )
    ldif += ldif_entry(LAST_ONES, {"objectClass": "groupOfNames", "cn": "Last Ones", "member": members})
    limits = f'limits dn.exact="cn=pager,{BASE_DN}" size.soft=50 size.hard=50 size.prtotal=unlimited'
    with Slapd(tmp_path_factory.mktemp("crowded"), ldif, sizelimit="50", database_lines=[limits]) as server:
        yield server


LAST_ONES = f"cn=Last Ones,{GROUPS}"


def test_a_big_group_filling_its_container_is_read_with_one_scan(tight_slapd: Slapd) -> None:
    # 300 members under ou=bulk, from 100 on a container is scanned instead of searched by name.
    directory = pager_directory(tight_slapd, page_size=40, scan_min_members=100)
    emails = [user.email or "" for user in directory.expand_group(BULK_GROUP_DN)]
    assert sorted(emails) == [f"bulk{number:05d}@example.com" for number in range(300)]


def test_a_scan_of_a_container_holding_mostly_others_gives_up_and_still_finds_everyone(
    crowded_slapd: Slapd,
) -> None:
    # The scan of ou=bulk reads 180 non-members before the first member: it stops after 120 and
    # tells the server to drop the paged search; filtered searches on the same connection find them.
    directory = pager_directory(crowded_slapd, page_size=40, scan_min_members=100)
    emails = [user.email or "" for user in directory.expand_group(LAST_ONES)]
    assert sorted(emails) == sorted(
        [f"bulk{number:05d}@example.com" for number in range(180, 300)] + ["solo@example.com"]
    )


def test_a_scan_cut_by_a_size_limit_leaves_the_rest_to_filtered_searches(crowded_slapd: Slapd) -> None:
    directory = pager_directory(crowded_slapd, as_reader=True, scan_min_members=100)
    assert len(list(directory.expand_group(BULK_GROUP_DN))) == 300


# --- doctor ------------------------------------------------------------------------------------


def test_check_says_where_who_and_how_many(slapd_server: Slapd) -> None:
    line = connect(slapd_server).check()
    assert line == (
        f"ldap: ldap://127.0.0.1:{slapd_server.port} bound as {READER_DN}, base {BASE_DN}, "
        f"profile openldap, {SIZE_LIMIT}+ users visible"
    )
    anonymous = connect(slapd_server, bind_dn=None, bind_password=None).check()
    assert "bound anonymously" in anonymous


def test_check_names_a_base_dn_that_does_not_exist(slapd_server: Slapd) -> None:
    url = f"ldap://127.0.0.1:{slapd_server.port}/ou=nowhere,{BASE_DN}"
    directory = build_directory(url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap")
    with pytest.raises(DirectoryError, match=f"base DN ou=nowhere,{BASE_DN} does not exist"):
        directory.check()


def test_check_with_the_wrong_profile_says_no_users_match(slapd_server: Slapd) -> None:
    with pytest.raises(DirectoryError, match=r"no users match the ad profile.*DIRECTORY_PROFILE"):
        connect(slapd_server, profile="ad").check()


# --- Active Directory profile on an AD look-alike ------------------------------------------------


@pytest.fixture(scope="module")
def ad_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    require_slapd()
    workdir: Path = tmp_path_factory.mktemp("ad-like")
    server = Slapd(
        workdir, ad_like_ldif(), schemas=AD_LIKE_SCHEMAS, extra_schema=AD_LIKE_SCHEMA, indexes=AD_LIKE_INDEXES
    )
    with server:
        yield connect(server, profile="ad")


def test_ad_profile_searches_by_sam_account_name_and_names(ad_like: Directory) -> None:
    assert names(ad_like.search("Jo").users) == {"John Doe", "Mary Johnson"}
    assert names(ad_like.search("ohn", CONTAINS).users) == {"John Doe", "Mary Johnson"}
    [priya] = ad_like.search("praghun").users
    assert priya.account_name == "praghunathan"
    assert ad_like.search("WS-").users == []  # computers are objectClass=user but no person


def test_ad_profile_expands_nested_groups_without_computers(ad_like: Directory) -> None:
    [field] = ad_like.search("Field").groups
    engineers = list(ad_like.expand_group(field.id))
    assert names(engineers) == {
        "John Doe",
        "Bjørn Halvorsen",
        "Łukasz Wróbel",
        "Kwame Mensah",
        "Mohammed Al-Farsi",
    }
    assert COMPUTER_DN.lower() not in {user.id.lower() for user in engineers}
    everyone = list(ad_like.expand_group("CN=All Staff,OU=Groups,DC=example,DC=com"))
    assert len(everyone) == len({user.id for user in everyone}) == len(SAMPLE.users)


def test_first_members_arrive_without_reading_the_rest(directory: Directory) -> None:
    assert len(list(islice(directory.expand_group(BULK_GROUP_DN), 3))) == 3
