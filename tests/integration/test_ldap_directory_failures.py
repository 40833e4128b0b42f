"""What a helpdesk person reads when the LDAP directory cannot be used, and LDAP over TLS."""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.port import Directory, DirectoryError
from tests.support.net import free_port
from tests.support.slapd import (
    BASE_DN,
    BULK_GROUP_DN,
    PEOPLE,
    READER_DN,
    READER_PASSWORD,
    Slapd,
    TlsFiles,
    require_slapd,
    standard_ldif,
)

pytestmark = pytest.mark.slapd
WRONG_PASSWORD = "Wr0ng-Pa55word!"


def operations(directory: Directory) -> list[Callable[[], object]]:
    """Every call the modal and `deskops doctor` make."""
    return [
        lambda: directory.search("Jo"),
        lambda: list(directory.expand_group(BULK_GROUP_DN)),
        lambda: directory.get_user(f"uid=jdoe,{PEOPLE}"),
        directory.check,
    ]


def test_a_refused_bind_names_the_settings_to_fix_and_never_the_password(
    slapd_server: Slapd,
) -> None:
    directory = build_directory(
        slapd_server.url, bind_dn=READER_DN, bind_password=WRONG_PASSWORD, profile="openldap"
    )
    for operation in operations(directory):
        with pytest.raises(DirectoryError) as caught:
            operation()
        assert str(caught.value) == (
            f"the directory at 127.0.0.1:{slapd_server.port} refused the bind for {READER_DN}: "
            "check DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD"
        )
        assert WRONG_PASSWORD not in "".join(traceback.format_exception(caught.value))


def test_an_unknown_bind_dn_is_refused_the_same_way(slapd_server: Slapd) -> None:
    ghost = f"cn=ghost,{BASE_DN}"
    directory = build_directory(slapd_server.url, bind_dn=ghost, bind_password="x", profile="openldap")
    with pytest.raises(DirectoryError, match=f"refused the bind for {ghost}: check DIRECTORY_BIND_DN"):
        directory.search("Jo")


def test_nothing_listening_is_reported_at_once() -> None:
    port = free_port()
    directory = build_directory(f"ldap://127.0.0.1:{port}/{BASE_DN}", profile="openldap", timeout=5)
    for operation in operations(directory):
        started = time.monotonic()
        with pytest.raises(DirectoryError, match=f"nothing accepts connections at 127.0.0.1:{port}"):
            operation()
        assert time.monotonic() - started < 1


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections (the kernel does) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize(("scheme", "starttls"), [("ldap", False), ("ldaps", False), ("ldap", True)])
def test_a_server_that_never_answers_times_out_as_configured(
    silent_port: int, scheme: str, starttls: bool
) -> None:
    url = f"{scheme}://127.0.0.1:{silent_port}/{BASE_DN}"
    directory = build_directory(url, profile="openldap", starttls=starttls, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DirectoryError, match=rf"127.0.0.1:{silent_port} did not answer within 0\.5 s"):
        directory.search("Jo")
    assert 0.45 < time.monotonic() - started < 2


def test_a_connection_that_is_never_accepted_times_out_as_configured() -> None:
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # room for one pending connection, which the filler takes
        port = listener.getsockname()[1]
        filler.connect(("127.0.0.1", port))
        directory = build_directory(f"ldap://127.0.0.1:{port}/{BASE_DN}", profile="openldap", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(DirectoryError, match=r"did not accept a connection within 0\.5 s"):
            directory.check()
        assert time.monotonic() - started < 2


def test_starttls_against_a_server_without_tls_says_so(slapd_server: Slapd) -> None:
    directory = build_directory(
        slapd_server.url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap", starttls=True
    )
    with pytest.raises(DirectoryError, match="TLS"):
        directory.search("Jo")


# --- TLS: ldaps:// and StartTLS with a trustme certificate ---------------------------------------


class TlsServer:
    def __init__(self, server: Slapd, ca_file: Path) -> None:
        self.server, self.ca_file = server, ca_file

    def directory(self, url: str, *, starttls: bool = False, trust: bool = True) -> Directory:
        return build_directory(
            url,
            bind_dn=READER_DN,
            bind_password=READER_PASSWORD,
            profile="openldap",
            starttls=starttls,
            timeout=5,
            ca_certs_file=str(self.ca_file) if trust else None,
        )


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """slapd with ldap:// and ldaps:// listeners and a certificate for `localhost` only."""
    require_slapd()
    workdir = tmp_path_factory.mktemp("slapd-tls")
    ca = trustme.CA(organization_name="deskops LDAP test CA")
    leaf = ca.issue_cert("localhost")
    leaf.private_key_pem.write_to_path(str(workdir / "key.pem"))
    (workdir / "chain.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    ca.cert_pem.write_to_path(str(workdir / "ca.pem"))
    tls = TlsFiles(certificate=workdir / "chain.pem", private_key=workdir / "key.pem")
    with Slapd(workdir, standard_ldif(bulk_users=0), tls=tls) as server:
        yield TlsServer(server, workdir / "ca.pem")


def test_ldaps_with_a_trusted_certificate_works(tls_server: TlsServer) -> None:
    url = tls_server.server.ldaps_url.replace("127.0.0.1", "localhost")
    assert {user.display_name for user in tls_server.directory(url).search("Jo").users} == {
        "John Doe",
        "Mary Johnson",
    }


def test_starttls_with_a_trusted_certificate_works(tls_server: TlsServer) -> None:
    url = tls_server.server.url.replace("127.0.0.1", "localhost")
    assert tls_server.directory(url, starttls=True).check().startswith("ldap: ldap://localhost:")


@pytest.mark.parametrize("starttls", [False, True])
def test_an_untrusted_certificate_is_refused_with_the_reason(tls_server: TlsServer, starttls: bool) -> None:
    server = tls_server.server
    url = (server.url if starttls else server.ldaps_url).replace("127.0.0.1", "localhost")
    with pytest.raises(
        DirectoryError, match=r"certificate verify failed.*signed by a CA this machine trusts"
    ):
        tls_server.directory(url, starttls=starttls, trust=False).search("Jo")


@pytest.mark.parametrize("starttls", [False, True])
def test_a_certificate_for_another_host_name_is_refused(tls_server: TlsServer, starttls: bool) -> None:
    server = tls_server.server
    url = server.url if starttls else server.ldaps_url
    with pytest.raises(DirectoryError, match=r"is not issued for 127\.0\.0\.1"):
        tls_server.directory(url, starttls=starttls).search("Jo")


def test_the_directory_is_usable_again_once_the_server_is_back(tmp_path: Path) -> None:
    require_slapd()
    with Slapd(tmp_path, standard_ldif(bulk_users=0)) as server:
        directory = build_directory(
            server.url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap"
        )
        assert len(directory.search("Jo").users) == 2
        server.stop()
        for _ in range(2):
            with pytest.raises(DirectoryError, match="connection refused"):
                directory.search("Jo")
        server.start()
        assert len(directory.search("Jo").users) == 2
