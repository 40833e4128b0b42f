"""The real directory: Active Directory or OpenLDAP through ldap3.

Each operation opens its own connection (connect, StartTLS when asked, bind) and closes it at the
end, except searches: a person waits for those, so their users and groups are asked for at once
on two connections, each kept for the next search (ldap_pool: reused within a minute, never by two
threads at once, dropped once the server has ended it).

Group expansion (bot/integrations/directory/ldap_groups.py) streams the users of a group and of
the groups nested in it, a few searches per thousand members.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ldap3 import SUBTREE, Connection, Tls
from ldap3.core.exceptions import LDAPException

from bot.integrations.directory.ldap_errors import SIZE_LIMIT_EXCEEDED, ErrorWording
from bot.integrations.directory.ldap_groups import GroupExpansion
from bot.integrations.directory.ldap_pool import ConnectionPool, discard, new_connection
from bot.integrations.directory.ldap_reads import LdapReader, entries
from bot.integrations.directory.ldap_values import Entry, is_under, normalize_dn, split_dn
from bot.integrations.directory.port import DirectoryError, DirectoryUser, MatchMode, SearchResult
from bot.integrations.directory.profiles import LdapProfile

_COUNT_CAP = 1000  # check() counts users up to this many (or the server's size limit)


class LdapDirectory:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        base_dn: str,
        profile: LdapProfile,
        use_ssl: bool = False,
        starttls: bool = False,
        bind_dn: str | None = None,
        bind_password: str | None = None,
        timeout: float = 10.0,
        ca_certs_file: str | None = None,
        page_size: int = 500,
        chunk_size: int = 200,
        scan_min_members: int = 1000,
    ) -> None:
        self._host, self._port, self._base = host, port, base_dn
        self._base_key = normalize_dn(base_dn)
        self._profile = profile
        self._starttls = starttls and not use_ssl
        self._bind_dn, self._bind_password = bind_dn or None, bind_password
        self._timeout = timeout
        self._where = f"{host}:{port}"
        self.url = f"{'ldaps' if use_ssl else 'ldap'}://{host}:{port}"
        self._words = ErrorWording(host, port, self.url, base_dn, self._bind_dn, timeout)
        self._reader = LdapReader(base_dn, page_size, self._words)
        self._groups = GroupExpansion(
            self._reader,
            profile,
            base_key=self._base_key,
            chunk_size=chunk_size,
            scan_min_members=scan_min_members,
        )
        self._use_ssl = use_ssl
        self._pool, self._helpers = ConnectionPool(), ThreadPoolExecutor(2, thread_name_prefix="ldap")
        self._tls = (
            Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_certs_file) if use_ssl or starttls else None
        )

    @property
    def base_dn(self) -> str:
        return self._base

    # -- connections and errors ---------------------------------------------------------------

    @contextmanager
    def _session(self, *, reuse: bool = False) -> Iterator[Connection]:
        """A bound connection; with `reuse`, one kept from an earlier search when there is one,
        kept again afterwards unless the operation failed."""
        kept = self._pool.take() if reuse else None
        connection = kept or new_connection(
            self._host,
            self._port,
            self._use_ssl,
            self._tls,
            self._timeout,
            self._bind_dn,
            self._bind_password,
        )
        failed = True
        try:
            if kept is None:
                connection.open()
                if self._starttls and not connection.start_tls():
                    raise self._words.tls_failed(str(connection.result.get("message") or "StartTLS refused"))
                if not connection.bind():
                    raise self._words.bind_refused(connection.result)
            yield connection
            failed = bool(connection.closed)
        except (LDAPException, OSError) as exc:
            raise self._words.from_exception(exc) from exc
        finally:
            if reuse and not failed:
                self._pool.give_back(connection)
            else:
                discard(connection)

    def _limited(
        self, search_filter: str, attributes: Sequence[str], limit: int
    ) -> tuple[list[tuple[str, Entry]], bool]:
        with self._session(reuse=True) as conn:
            conn.search(self._base, search_filter, SUBTREE, attributes=list(attributes), size_limit=limit + 1)
            if conn.result.get("result") not in (0, SIZE_LIMIT_EXCEEDED):
                raise self._words.operation_failed(conn.result)
            found = entries(conn)
        truncated = bool(conn.result.get("result") == SIZE_LIMIT_EXCEEDED or len(found) > limit)
        return found[:limit], truncated

    # -- the Directory port ---------------------------------------------------------------------

    def search(self, text: str, mode: MatchMode = MatchMode.BEGINS_WITH, limit: int = 20) -> SearchResult:
        needle = text.strip()
        if not needle or "\x00" in needle:
            # No name or address holds a NUL, and slapd's IA5 matching (mail) stops at an escaped
            # one, which would make `Jo<NUL>` find what `Jo` finds.
            return SearchResult(users=[], groups=[], truncated=False)
        user_filter, group_filter = self._profile.search_filters(needle, mode)
        # Groups on a second connection, at the same time: a person waits for both.
        asking = self._helpers.submit(self._limited, group_filter, self._profile.group_attributes, limit)
        users, more_users = self._limited(user_filter, self._profile.user_attributes, limit)
        groups, more_groups = asking.result()
        found_users = [self._profile.user_from_entry(dn, entry) for dn, entry in users]
        found_groups = [self._profile.group_from_entry(dn, entry) for dn, entry in groups]
        found_users.sort(key=lambda user: (user.display_name.casefold(), user.id))
        found_groups.sort(key=lambda group: (group.name.casefold(), group.id))
        return SearchResult(users=found_users, groups=found_groups, truncated=more_users or more_groups)

    def get_user(self, user_id: str) -> DirectoryUser | None:
        if split_dn(user_id) is None or not is_under(normalize_dn(user_id), self._base_key):
            return None
        with self._session() as conn:
            entry = self._reader.read(conn, user_id, self._profile.user_filter, self._profile.user_attributes)
        return self._profile.user_from_entry(user_id, entry) if entry is not None else None

    def expand_group(self, group_id: str) -> Iterator[DirectoryUser]:
        if split_dn(group_id) is None:
            raise DirectoryError(
                f"'{group_id}' is not a group of the directory at {self._where}: search again"
            )
        with self._session() as conn:
            if self._reader.read(conn, group_id, self._profile.group_filter, ["1.1"]) is None:
                raise DirectoryError(
                    f"the group {group_id} is not in the directory at {self._where} (any more): search again"
                )
            yield from self._groups.users(conn, group_id)

    def check(self) -> str:
        found, more = self._limited(self._profile.user_filter, ["1.1"], _COUNT_CAP)
        if not found:
            raise DirectoryError(
                f"the directory at {self._where} answered, but no users match the {self._profile.name} "
                f"profile under {self._base}: check the base DN in DIRECTORY_URL and DIRECTORY_PROFILE"
            )
        who = f"bound as {self._bind_dn}" if self._bind_dn else "bound anonymously"
        count = f"{len(found)}+" if more else str(len(found))
        return (
            f"ldap: {self.url} {who}, base {self._base}, profile {self._profile.name}, {count} users visible"
        )

    def close(self) -> None:
        self._helpers.shutdown(wait=False)
        self._pool.close()
