"""Disabling, enabling and deleting accounts on Acronis, against the emulator that holds the rules
of the developer guide ("Disabling/enabling a user account", "Deleting a user account")."""

from __future__ import annotations

from bot.integrations.backup.acronis import AcronisBackupPlatform
from tests.integration.test_acronis_platform import LOGIN, platform, provisioned
from tests.support.acronis import AcronisEmulator, acronis_emulator

__all__ = ["acronis_emulator", "platform"]


def test_disable_and_enable_flip_the_enabled_flag_once(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.set_enabled(user_id, enabled=False)
    assert not acronis_emulator.account(LOGIN).enabled
    writes = len(acronis_emulator.requests("PUT", rf"/users/{user_id}"))
    platform.set_enabled(user_id, enabled=False)  # a retry writes nothing more
    assert len(acronis_emulator.requests("PUT", rf"/users/{user_id}")) == writes
    platform.set_enabled(user_id, enabled=True)
    assert acronis_emulator.account(LOGIN).enabled


def test_a_change_made_meanwhile_on_the_platform_is_read_again(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    acronis_emulator.fail("PUT", rf"/users/{user_id}", status=409, times=1)
    platform.set_enabled(user_id, enabled=False)
    assert not acronis_emulator.account(LOGIN).enabled


def test_delete_disables_first_then_deletes_with_the_version(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    platform.delete_account(user_id)
    assert LOGIN not in acronis_emulator.accounts()
    deletes = acronis_emulator.requests("DELETE", rf"/users/{user_id}")
    assert len(deletes) == 1
    # Deleting again (a retry whose first answer was lost) is not an error.
    platform.delete_account(user_id)


def test_the_emulator_refuses_deleting_an_enabled_account_or_without_a_version(
    platform: AcronisBackupPlatform, acronis_emulator: AcronisEmulator
) -> None:
    user_id = provisioned(platform, acronis_emulator)
    version = acronis_emulator.call("GET", f"/users/{user_id}").json()["version"]
    assert (
        acronis_emulator.call("DELETE", f"/users/{user_id}", params={"version": str(version)}).status_code
        == 400
    )
    assert acronis_emulator.call("DELETE", f"/users/{user_id}").status_code == 400
    assert LOGIN in acronis_emulator.accounts()
