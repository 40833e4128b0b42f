"""A throw-away OpenLDAP slapd for integration tests - never the system service.

Each `Slapd` writes its own slapd.conf in a temporary folder, loads an LDIF with slapadd before
starting, listens on a free loopback port and is stopped by its PID.

The `slapd_server` fixture is registered for every test by listing this module in
`pytest_plugins` of tests/conftest.py (or, in one module, `from tests.support.slapd import
slapd_server  # noqa: F401`). Tests take it by name and build a directory from its URL:

    def test_x(slapd_server: Slapd) -> None:
        directory = build_directory(slapd_server.url, bind_dn=READER_DN,
                                    bind_password=READER_PASSWORD, profile="openldap")

`slapd_server` (session scope) serves `standard_ldif()`: the bundled sample company, users whose
names hold filter characters, cyclic groups, a groupOfUniqueNames and a 2,000-member group, with
a size limit of 500 that binds as `READER_DN` are subject to (the rootdn is not).
"""

from __future__ import annotations

import base64
import ctypes
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.integrations.directory.file import FileDirectory
from tests.support.net import free_port

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

BASE_DN = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "admin-secret-5RtQ"
# An ordinary account: slapd applies size limits to it, never to the rootdn.
READER_DN = f"cn=reader,{BASE_DN}"
READER_PASSWORD = "reader-secret-9xPw"

PEOPLE = f"ou=people,{BASE_DN}"
GROUPS = f"ou=groups,{BASE_DN}"
BULK = f"ou=bulk,{BASE_DN}"
BULK_GROUP_DN = f"cn=Bulk Recipients,{GROUPS}"
SIZE_LIMIT = 500
BULK_USERS = 2000

OPENLDAP_SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
OPENLDAP_INDEXES = ("objectClass eq", "uid,cn,sn,givenName,displayName,mail eq,sub", "member,uniqueMember eq")

# Users whose names hold the characters of LDAP filter syntax; (uid, display, first, last, mail).
TRICKY_USERS = (
    ("starlight", "Star*Light Studio", "Star*Light", "Studio", "star.light@example.com"),
    ("pwells", "(Temp) Pat Wells", "Pat", "Wells", "pat.wells@example.com"),
    ("obracket", "Odd )( Bracket", "Odd", ")( Bracket", "odd.bracket@example.com"),
    ("backslash", "CORP\\backup Service", "CORP\\backup", "Service", None),
)


def _safe_ldif_value(value: str) -> bool:
    # RFC 2849 SAFE-STRING: ASCII without NUL, LF, CR; must not start with space, ':' or '<'.
    return bool(re.fullmatch(r"[\x01-\x09\x0b\x0c\x0e-\x7f]*", value)) and not (
        value[:1] in {" ", ":", "<"} or value.endswith(" ")
    )


def ldif_entry(dn: str, attributes: Mapping[str, str | Sequence[str] | None]) -> str:
    """One LDIF record; values that are not safe ASCII are written base64 (`attr:: `)."""
    lines = []
    for name, values in [("dn", dn), *attributes.items()]:
        if values is None:
            continue
        for value in [values] if isinstance(values, str) else values:
            if _safe_ldif_value(value):
                lines.append(f"{name}: {value}")
            else:
                lines.append(f"{name}:: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n\n"


def person(uid: str, display: str, first: str | None, last: str | None, mail: str | None) -> str:
    return ldif_entry(
        f"uid={uid},{PEOPLE}",
        {
            "objectClass": "inetOrgPerson",
            "uid": uid,
            "cn": display,
            "sn": last or display,
            "givenName": first,
            "displayName": display,
            "mail": mail,
        },
    )


def bulk_ldif(count: int, group_dn: str = BULK_GROUP_DN) -> str:
    """`count` users under ou=bulk and a groupOfNames holding all of them."""
    chunks = [ldif_entry(BULK, {"objectClass": "organizationalUnit", "ou": "bulk"})]
    members = []
    for number in range(count):
        uid = f"bulk{number:05d}"
        dn = f"uid={uid},{BULK}"
        members.append(dn)
        attrs = {"objectClass": "inetOrgPerson", "uid": uid, "cn": f"Bulk User {number:05d}"}
        attrs |= {"sn": f"User{number:05d}", "givenName": "Bulk", "mail": f"{uid}@example.com"}
        chunks.append(ldif_entry(dn, attrs))
    chunks.append(
        ldif_entry(group_dn, {"objectClass": "groupOfNames", "cn": "Bulk Recipients", "member": members})
    )
    return "".join(chunks)


def base_ldif(
    *, accounts: Mapping[str, str] | None = None, units: Sequence[str] = ("people", "groups")
) -> str:
    """The suffix entry, bind accounts (DN -> password; the reader by default) and OUs."""
    chunks = [
        ldif_entry(BASE_DN, {"objectClass": ["dcObject", "organization"], "dc": "example", "o": "Example"})
    ]
    for dn, password in (accounts or {READER_DN: READER_PASSWORD}).items():
        classes = ["organizationalRole", "simpleSecurityObject"]
        chunks.append(ldif_entry(dn, {"objectClass": classes, "userPassword": password}))
    chunks += [
        ldif_entry(f"ou={unit},{BASE_DN}", {"objectClass": "organizationalUnit", "ou": unit})
        for unit in units
    ]
    return "".join(chunks)


def standard_ldif(bulk_users: int = BULK_USERS) -> str:
    sample = FileDirectory.sample()
    dn_of = {user.id: f"uid={user.account_name},{PEOPLE}" for user in sample.users}
    dn_of |= {group.id: f"cn={group.name},{GROUPS}" for group in sample.groups}
    chunks = [base_ldif()]
    for user in sample.users:
        chunks.append(
            person(user.account_name, user.display_name, user.first_name, user.last_name, user.email)
        )
    for group in sample.groups:
        members = [dn_of[member] for member in sample.direct_members(group.id)]
        attrs = {"objectClass": "groupOfNames", "cn": group.name, "description": group.description}
        chunks.append(ldif_entry(dn_of[group.id], attrs | {"member": members}))
    chunks.extend(person(*tricky) for tricky in TRICKY_USERS)
    chunks.append(_group("Cycle A", [f"cn=Cycle B,{GROUPS}", dn_of["jdoe"]]))
    chunks.append(_group("Cycle B", [f"cn=Cycle A,{GROUPS}", dn_of["mjohnson"]]))
    # A groupOfUniqueNames with an optional-UID suffix, a dangling member, a member outside the
    # base and a member that is no person: only the two real people expand.
    unique_members = [
        f"{dn_of['sobrien']}#'0101'B",
        dn_of["atanaka"].upper().replace(",", ", "),
        f"uid=ghost,{PEOPLE}",
        "uid=outsider,dc=elsewhere,dc=org",
        READER_DN,
    ]
    chunks.append(
        ldif_entry(
            f"cn=Auditors,{GROUPS}",
            {"objectClass": "groupOfUniqueNames", "cn": "Auditors", "uniqueMember": unique_members},
        )
    )
    if bulk_users:
        chunks.append(bulk_ldif(bulk_users))
    return "".join(chunks)


def _group(name: str, members: Sequence[str]) -> str:
    return ldif_entry(f"cn={name},{GROUPS}", {"objectClass": "groupOfNames", "cn": name, "member": members})


@dataclass(frozen=True)
class TlsFiles:
    certificate: Path  # PEM chain, leaf first
    private_key: Path


class Slapd:
    """One slapd process with its own configuration and database in `workdir`."""

    def __init__(
        self,
        workdir: Path,
        ldif: str,
        *,
        sizelimit: str = f"size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT}",
        schemas: Sequence[str] = OPENLDAP_SCHEMAS,
        extra_schema: str | None = None,
        indexes: Sequence[str] = OPENLDAP_INDEXES,
        tls: TlsFiles | None = None,
        database_lines: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.ldif = ldif
        self.sizelimit = sizelimit
        self.schemas = schemas
        self.extra_schema = extra_schema
        self.indexes = indexes
        self.tls = tls
        self.database_lines = database_lines  # e.g. `limits dn.exact="..." size.prtotal=unlimited`
        self.host = "127.0.0.1"
        self.port = 0
        self.ldaps_port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """ldap://127.0.0.1:<port>/dc=example,dc=com - the form DIRECTORY_URL takes."""
        return f"ldap://{self.host}:{self.port}/{BASE_DN}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.host}:{self.ldaps_port}/{BASE_DN}"

    def _write_config(self) -> Path:
        lines = [f"include {SCHEMA_DIR / name}.schema" for name in self.schemas]
        if self.extra_schema:
            (self.workdir / "extra.schema").write_text(self.extra_schema)
            lines.append(f"include {self.workdir / 'extra.schema'}")
        lines += [f"modulepath {MODULE_DIR}", "moduleload back_mdb"]
        lines += [f"pidfile {self.workdir / 'slapd.pid'}", f"argsfile {self.workdir / 'slapd.args'}"]
        if self.tls:
            lines += [
                f"TLSCertificateFile {self.tls.certificate}",
                f"TLSCertificateKeyFile {self.tls.private_key}",
            ]
        lines += ["database mdb", "maxsize 1073741824", f'suffix "{BASE_DN}"', f'rootdn "{ADMIN_DN}"']
        lines += [
            f"rootpw {ADMIN_PASSWORD}",
            f"directory {self.workdir / 'data'}",
            f"sizelimit {self.sizelimit}",
        ]
        lines += [f"index {index}" for index in self.indexes]
        lines += self.database_lines
        lines += ["access to attrs=userPassword by anonymous auth by * none", "access to * by * read"]
        config = self.workdir / "slapd.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> Slapd:
        """Load the LDIF (first start only) and run slapd; start again after stop() to restart."""
        config = self._write_config()
        if not (self.workdir / "data").exists():
            (self.workdir / "data").mkdir(parents=True)
            (self.workdir / "data.ldif").write_text(self.ldif, encoding="utf-8")
            loaded = subprocess.run(
                [str(SLAPADD), "-q", "-f", str(config), "-l", str(self.workdir / "data.ldif")],
                capture_output=True,
                text=True,
                check=False,
            )
            if loaded.returncode != 0:
                raise RuntimeError(f"slapadd failed ({loaded.returncode}): {loaded.stderr.strip()[-2000:]}")
        # A restart keeps the ports; a free port can be taken between probing and binding, so a
        # failed first start moves to new ones.
        for attempt in range(5):
            if self._launch(config, keep_ports=attempt == 0 and self.port != 0):
                return self
        raise RuntimeError(f"slapd did not start: {self._log_tail()}")

    def _launch(self, config: Path, *, keep_ports: bool) -> bool:
        if not keep_ports:
            self.port = free_port(self.host)
            self.ldaps_port = free_port(self.host) if self.tls else 0
        listen = f"ldap://{self.host}:{self.port}/"
        if self.tls:
            listen += f" ldaps://{self.host}:{self.ldaps_port}/"
        log = (self.workdir / "slapd.log").open("ab")
        self.process = subprocess.Popen(
            [str(SLAPD), "-f", str(config), "-h", listen, "-d", "0"],
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run slapd set-up
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if _accepts(self.host, self.port) and (not self.tls or _accepts(self.host, self.ldaps_port)):
                return True
            time.sleep(0.01)
        self.stop()
        return False

    def _log_tail(self) -> str:
        path = self.workdir / "slapd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> Slapd:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so a killed run leaves no slapd."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def require_slapd() -> None:
    """Fail - never skip - when OpenLDAP is missing: `make test` installs it (slapd, ldap-utils),
    and a skipped directory suite would pass CI without testing anything."""
    missing = [str(path) for path in (SLAPD, SLAPADD) if not path.exists()]
    if missing:
        pytest.fail(
            f"OpenLDAP is not installed ({', '.join(missing)} missing): apt-get install slapd ldap-utils "
            "(make system-deps)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """A running slapd with `standard_ldif()`; read-only for tests (shared by the session)."""
    require_slapd()
    with Slapd(tmp_path_factory.mktemp("slapd"), standard_ldif()) as server:
        yield server
