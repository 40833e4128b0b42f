"""Configuration of approvals, reminders and the scheduler: defaults, and one line naming the
variable and the fix for each bad value."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings(_env_file=None)
    assert settings.approvals_channel is None
    assert (settings.approval_batch_size, settings.approval_expiry_hours) == (50, 48)
    assert settings.approval_administrators and settings.approval_devices_beyond_licence
    assert settings.approval_reminder_hours == [1, 3, 9]
    assert (settings.reminder_expiry_window_hours, settings.reminder_pending_activation_days) == (48, 3)
    assert settings.scheduler_enabled and settings.scheduler_interval_seconds == 300


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVAL_REMINDER_HOURS", "2, 6,24")
    monkeypatch.setenv("APPROVAL_BATCH_SIZE", "200")
    monkeypatch.setenv("SCHEDULER_ENABLED", "false")
    settings = load_settings(_env_file=None)
    assert settings.approval_reminder_hours == [2, 6, 24]
    assert settings.approval_batch_size == 200 and not settings.scheduler_enabled


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"approval_reminder_hours": "3,1"}, "APPROVAL_REMINDER_HOURS: '3,1': use increasing whole numbers"),
        ({"approval_reminder_hours": "soon"}, "APPROVAL_REMINDER_HOURS: 'soon' is not a list of hours"),
        ({"approval_expiry_hours": "0"}, "APPROVAL_EXPIRY_HOURS:"),
        ({"scheduler_interval_seconds": "0"}, "SCHEDULER_INTERVAL_SECONDS:"),
        ({"approvals_channel": "C0APPR01"}, "APPROVERS: required when APPROVALS_CHANNEL is set"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, **values)
    assert any(line.startswith(problem) for line in raised.value.problems), raised.value.problems
