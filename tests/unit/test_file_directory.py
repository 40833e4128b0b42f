"""The embedded directory (bundled sample, YAML and LDIF files): what the invite modal's Search
and Add buttons get when DIRECTORY_URL is unset or names a file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.integrations.directory.file import FileDirectory, GroupRecord
from bot.integrations.directory.port import DirectoryError, DirectoryUser, MatchMode
from tests.support.slapd import GROUPS, PEOPLE, TRICKY_USERS, standard_ldif

BEGINS, CONTAINS = MatchMode.BEGINS_WITH, MatchMode.CONTAINS


@pytest.fixture(scope="module")
def sample() -> FileDirectory:
    return FileDirectory.sample()


def names(users: Iterable[DirectoryUser]) -> set[str]:
    return {user.display_name for user in users}


def test_the_bundled_sample_is_a_small_company(sample: FileDirectory) -> None:
    assert sample.check() == "file: the bundled sample directory, 13 users, 3 groups"
    assert [user.display_name for user in sample.users if user.email is None] == ["Kwame Mensah"]
    assert {group.name for group in sample.groups} == {"Sales", "Field Engineers", "All Staff"}


def test_begins_with_jo_finds_john_doe_and_mary_johnson(sample: FileDirectory) -> None:
    result = sample.search("Jo")
    assert [user.display_name for user in result.users] == ["John Doe", "Mary Johnson"]
    assert (result.groups, result.truncated) == ([], False)


def test_ohn_finds_them_only_with_contains(sample: FileDirectory) -> None:
    assert sample.search("ohn").users == []
    assert names(sample.search("ohn", CONTAINS).users) == {"John Doe", "Mary Johnson"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wróbel", "Łukasz Wróbel"),  # last name, any case
        ("ŁUKASZ", "Łukasz Wróbel"),  # first name
        ("praghun", "Priya Raghunathan"),  # account name
        ("francois.dub", "François Dubois"),  # e-mail
        ("Zoë  Lef", "Zoë Lefèvre"),  # display name; runs of spaces count as one, as in LDAP
        ("Zoe\u0308", "Zoë Lefèvre"),  # e + combining diaeresis, as some keyboards send it
    ],
)
def test_begins_with_matches_every_name_field(sample: FileDirectory, text: str, expected: str) -> None:
    assert names(sample.search(text).users) == {expected}


def test_groups_are_found_by_name_with_their_size(sample: FileDirectory) -> None:
    [field] = sample.search("field").groups
    assert (field.name, field.member_count) == ("Field Engineers", 5)
    assert sample.search("   ") == sample.search("")
    assert sample.search("").users == []


def test_more_matches_than_the_limit_are_cut_and_flagged(sample: FileDirectory) -> None:
    result = sample.search("example.com", CONTAINS, limit=4)
    assert [user.display_name for user in result.users] == [
        "Aiko Tanaka",
        "Ana Sofía Pérez",
        "Bjørn Halvorsen",
        "François Dubois",
    ]
    assert result.truncated


@pytest.fixture(scope="module")
def tricky() -> FileDirectory:
    users = [
        DirectoryUser(uid, uid, display, first, last, mail)
        for uid, display, first, last, mail in TRICKY_USERS
    ]
    users.append(DirectoryUser("jdoe", "jdoe", "John Doe", "John", "Doe", "john.doe@example.com"))
    return FileDirectory(users, [], source="tricky")


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("*", CONTAINS, {"Star*Light Studio"}),
        ("Star*", BEGINS, {"Star*Light Studio"}),
        ("(", BEGINS, {"(Temp) Pat Wells"}),
        (")(", CONTAINS, {"Odd )( Bracket"}),
        ("\\", CONTAINS, {"CORP\\backup Service"}),
        ("Jo*", BEGINS, set()),
        ("*)(uid=*", CONTAINS, set()),
        ("Jo\x00", BEGINS, set()),
    ],
)
def test_filter_characters_are_literal_as_in_ldap(
    tricky: FileDirectory, text: str, mode: MatchMode, expected: set[str]
) -> None:
    assert names(tricky.search(text, mode).users) == expected


def test_nested_groups_expand_each_user_once(sample: FileDirectory) -> None:
    everyone = list(sample.expand_group("all-staff"))
    assert len(everyone) == len({user.id for user in everyone}) == 13  # John Doe is in twice
    assert {user.id for user in everyone} == {user.id for user in sample.users}


def test_cyclic_groups_terminate() -> None:
    ann = DirectoryUser("ann", "ann", "Ann Lee", "Ann", "Lee", "ann@example.com")
    bob = DirectoryUser("bob", "bob", "Bob Ray", "Bob", "Ray", None)
    groups = [GroupRecord("a", "A", None, ("b", "ann")), GroupRecord("b", "B", None, ("a", "bob"))]
    directory = FileDirectory([ann, bob], groups, source="memory")
    assert list(directory.expand_group("a")) == [ann, bob]


def test_expanding_an_unknown_group_says_to_search_again(sample: FileDirectory) -> None:
    with pytest.raises(DirectoryError, match="search again"):
        list(sample.expand_group("marketing"))
    assert sample.get_user("jdoe") == sample.search("John Doe").users[0]
    assert sample.get_user("nobody") is None


# --- YAML files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping with 'users' and 'groups'"),
        ("users:\n  - display_name: X\n", r"users\[0\]: 'account_name' is required"),
        ("users:\n  - account_name: x\n    mail: x@example.com\n", r"users\[0\]: unknown keys \['mail'\]"),
        ("users:\n  - account_name: x\n  - account_name: x\n", "the id 'x' is used twice"),
        ("groups:\n  - name: G\n    members: [ghost]\n", "group 'G' lists unknown members: ghost"),
        ("groups:\n  - name: G\n    members: ghost\n", r"groups\[0\]: 'members' must be a list"),
    ],
)
def test_a_bad_yaml_file_is_refused_with_the_place_to_fix(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        FileDirectory.from_yaml(text, source="staff.yaml")
    assert str(caught.value).startswith("staff.yaml: ")


def test_yaml_defaults_ids_and_display_names(tmp_path: Path) -> None:
    path = tmp_path / "staff.yml"
    path.write_text(
        "users:\n  - {account_name: ana, first_name: Ana, last_name: Ruiz}\n"
        "groups:\n  - {name: Ops, members: [ana]}\n",
        encoding="utf-8",
    )
    directory = FileDirectory.load(path)
    assert directory.get_user("ana") == DirectoryUser("ana", "ana", "Ana Ruiz", "Ana", "Ruiz", None)
    assert [user.id for user in directory.expand_group("Ops")] == ["ana"]
    assert directory.check() == f"file: {path}, 1 users, 1 groups"


@pytest.mark.parametrize(
    ("name", "message"), [("staff.csv", "neither a .yaml/.yml nor an .ldif"), ("missing.yaml", "cannot read")]
)
def test_an_unusable_path_is_refused(tmp_path: Path, name: str, message: str) -> None:
    if name.endswith(".csv"):
        (tmp_path / name).write_text("a,b\n")
    with pytest.raises(ValueError, match=message):
        FileDirectory.load(tmp_path / name)


# --- LDIF files ------------------------------------------------------------------------------

AD_EXPORT = """\
version: 1
# ldifde -f export.ldf: an AD user, a computer and a group
dn: CN=Renée Blanc,OU=Staff,DC=corp,DC=example
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
cn:: UmVuw6llIEJsYW5j
displayName:: UmVuw6llIEJsYW5j
givenName:: UmVuw6ll
sn: Blanc
sAMAccountName: rblanc
mail: renee.blanc@corp.exam
 ple
objectGUID:: /9j/4AAQSkZJRgABAQ==

dn: CN=WS-0042,OU=Staff,DC=corp,DC=example
objectClass: user
objectClass: computer
cn: WS-0042

dn: CN=Paris Office,OU=Groups,DC=corp,DC=example
objectClass: group
cn: Paris Office
member: cn=renée blanc, ou=staff, dc=corp, dc=example
member: CN=WS-0042,OU=Staff,DC=corp,DC=example
member: CN=Someone Elsewhere,OU=Staff,DC=corp,DC=example
"""


def test_an_active_directory_export_is_read_with_the_ad_profile() -> None:
    directory = FileDirectory.from_ldif(AD_EXPORT, source="export.ldf")
    [renee] = directory.search("ren").users
    assert (renee.display_name, renee.first_name, renee.account_name) == ("Renée Blanc", "Renée", "rblanc")
    assert renee.email == "renee.blanc@corp.example"  # folded line joined
    assert directory.search("WS").users == []  # a computer is no person
    [office] = directory.search("Paris").groups
    assert list(directory.expand_group(office.id)) == [renee]  # member DN matched across spellings


def test_an_openldap_export_with_all_the_sample_data_behaves_like_the_server() -> None:
    directory = FileDirectory.from_ldif(standard_ldif(bulk_users=25), source="slapcat.ldif")
    assert names(directory.search("Jo").users) == {"John Doe", "Mary Johnson"}
    assert len(list(directory.expand_group(f"cn=All Staff,{GROUPS}"))) == 13
    assert len(list(directory.expand_group(f"cn=Bulk Recipients,{GROUPS}"))) == 25
    # uniqueMember with an optional UID and odd spelling; dangling, outside and non-person left out
    auditors = directory.expand_group(f"cn=Auditors,{GROUPS}")
    assert [user.id for user in auditors] == [f"uid=sobrien,{PEOPLE}", f"uid=atanaka,{PEOPLE}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cn: x\n", "line 1: a record must start with 'dn:'"),
        ("dn: cn=x,dc=y\nchangetype: modify\nreplace: cn\n", "line 2: change records"),
        ("dn: cn=x,dc=y\nno colon here\n", "line 2: expected 'attribute: value'"),
    ],
)
def test_malformed_ldif_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"people.ldif: {message}"):
        FileDirectory.from_ldif(text, source="people.ldif")
