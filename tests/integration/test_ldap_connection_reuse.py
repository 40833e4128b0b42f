"""Searches reuse a bound connection (a person waits for them); one the server has ended is
never used: after a restart of the directory the next search just works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ldap3 import Connection

from bot.integrations.directory.factory import build_directory
from bot.integrations.directory.port import Directory
from tests.support.slapd import READER_DN, READER_PASSWORD, Slapd, require_slapd, standard_ldif


def _directory(server: Slapd) -> Directory:
    return build_directory(server.url, bind_dn=READER_DN, bind_password=READER_PASSWORD, profile="openldap")


def _count_binds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    binds: list[Any] = []
    real = Connection.bind

    def counted(self: Connection, *args: Any, **kwargs: Any) -> bool:
        binds.append(self)
        return bool(real(self, *args, **kwargs))

    monkeypatch.setattr(Connection, "bind", counted)
    return binds


def test_searches_in_a_row_bind_only_for_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_slapd()
    with Slapd(tmp_path, standard_ldif(bulk_users=0)) as server:
        directory = _directory(server)
        binds = _count_binds(monkeypatch)
        assert [len(directory.search(text).users) for text in ("Jo", "Jo", "Jo")] == [2, 2, 2]
        assert len(binds) == 2  # users and groups are asked for at once, on two connections
        directory.close()


def test_a_search_after_the_directory_restarted_finds_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_slapd()
    with Slapd(tmp_path, standard_ldif(bulk_users=0)) as server:
        directory = _directory(server)
        assert len(directory.search("Jo").users) == 2
        binds = _count_binds(monkeypatch)
        server.stop()
        server.start()
        assert len(directory.search("Jo").users) == 2
        assert len(binds) == 2  # on new connections: those kept were ended by the restart
        directory.close()
