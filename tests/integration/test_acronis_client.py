"""The Acronis HTTP client against the emulator over real HTTP on loopback: tokens, 401 refresh,
429 Retry-After, 5xx and timeouts, POSTs that must not be repeated, and secrets kept out of logs.

Waits go through a recording `sleep`, so Retry-After and backoff are asserted, not waited for."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.integrations.backup.acronis import AcronisClient, AcronisError, OutcomeUnknown, RetryPolicy
from tests.support.acronis import AcronisEmulator, acronis_emulator
from tests.support.app import wait_until
from tests.support.net import free_port

__all__ = ["acronis_emulator"]
FAST = RetryPolicy(attempts=4, backoff_base=0.2, backoff_max=1.0, max_retry_after=30.0)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(acronis_emulator: AcronisEmulator, sleeps: list[float]) -> Iterator[AcronisClient]:
    made = AcronisClient(
        acronis_emulator.url,
        client_id=acronis_emulator.client_id,
        client_secret=acronis_emulator.client_secret,
        timeout=2.0,
        retry=FAST,
        sleep=sleeps.append,
    )
    yield made
    made.close()


def partner(emulator: AcronisEmulator) -> str:
    return f"/tenants/{emulator.state.partner_id}"


def read_partner(client: AcronisClient, emulator: AcronisEmulator) -> Any:
    return client.get(partner(emulator), what="reading the partner tenant")


def test_one_token_serves_many_calls(client: AcronisClient, acronis_emulator: AcronisEmulator) -> None:
    for _ in range(3):
        assert read_partner(client, acronis_emulator)["name"] == "Example MSP"
    assert acronis_emulator.tokens_issued == 1


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(
    client: AcronisClient, acronis_emulator: AcronisEmulator
) -> None:
    read_partner(client, acronis_emulator)
    acronis_emulator.expire_tokens()
    assert read_partner(client, acronis_emulator)["kind"] == "partner"
    assert [r.status for r in acronis_emulator.requests("GET", partner(acronis_emulator))] == [200, 401, 200]
    assert acronis_emulator.tokens_issued == 2


def test_a_token_refused_twice_is_an_error_not_a_loop(
    client: AcronisClient, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail("GET", partner(acronis_emulator), status=401, times=None)
    with pytest.raises(AcronisError) as caught:
        read_partner(client, acronis_emulator)
    assert caught.value.status == 401 and not caught.value.transient
    assert "check that the API client is enabled" in str(caught.value)
    assert len(acronis_emulator.requests("GET", partner(acronis_emulator))) == 2
    assert acronis_emulator.tokens_issued == 2


def test_wrong_credentials_are_named_without_revealing_any_secret(
    acronis_emulator: AcronisEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_secret = "wrong-secret-9c1b7e2f"
    bad = AcronisClient(
        acronis_emulator.url, client_id=acronis_emulator.client_id, client_secret=wrong_secret
    )
    with pytest.raises(AcronisError) as caught:
        bad.get("/clients/x", what="reading the API client")
    text = str(caught.value)
    assert "ACRONIS_CLIENT_ID and ACRONIS_CLIENT_SECRET" in text and "Client authentication failed" in text
    assert not caught.value.transient
    good = AcronisClient(
        acronis_emulator.url,
        client_id=acronis_emulator.client_id,
        client_secret=acronis_emulator.client_secret,
    )
    read_partner(good, acronis_emulator)
    acronis_emulator.expire_tokens()
    read_partner(good, acronis_emulator)
    secrets = [wrong_secret, acronis_emulator.client_secret, *acronis_emulator.state.tokens]
    logged = caplog.text
    assert "HTTP Request" in logged  # httpx did log the calls, at INFO
    for secret in secrets:
        assert secret not in logged and secret not in text and secret not in repr(caught.value)
    bad.close()
    good.close()


def test_429_waits_for_retry_after_then_succeeds(
    client: AcronisClient, acronis_emulator: AcronisEmulator, sleeps: list[float]
) -> None:
    acronis_emulator.fail("GET", partner(acronis_emulator), status=429, retry_after="2", times=2)
    assert read_partner(client, acronis_emulator)["name"] == "Example MSP"
    assert sleeps == [2.0, 2.0]
    assert [r.status for r in acronis_emulator.requests("GET", partner(acronis_emulator))] == [429, 429, 200]


def test_a_429_asking_for_a_long_wait_is_left_to_the_outbox(
    client: AcronisClient, acronis_emulator: AcronisEmulator, sleeps: list[float]
) -> None:
    acronis_emulator.fail("GET", partner(acronis_emulator), status=429, retry_after="600")
    with pytest.raises(AcronisError) as caught:
        read_partner(client, acronis_emulator)
    assert caught.value.transient and caught.value.status == 429
    assert "wait 600 s" in str(caught.value) and sleeps == []


def test_a_post_answered_429_was_not_processed_and_is_sent_again(
    client: AcronisClient, acronis_emulator: AcronisEmulator, sleeps: list[float]
) -> None:
    acronis_emulator.fail("POST", "/users", status=429, retry_after="1")
    body = {
        "tenant_id": acronis_emulator.tenant_id("Globex Logistics"),
        "login": "mary@globex.example",
        "contact": {"email": "mary@globex.example"},
    }
    client.post("/users", body, what="creating the account")
    assert sleeps == [1.0]
    assert acronis_emulator.accounts() == ["mary@globex.example"]


def test_5xx_on_a_read_is_retried_with_growing_backoff(
    client: AcronisClient, acronis_emulator: AcronisEmulator, sleeps: list[float]
) -> None:
    acronis_emulator.fail("GET", partner(acronis_emulator), status=503, times=3)
    assert read_partner(client, acronis_emulator)["name"] == "Example MSP"
    assert len(sleeps) == 3
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4 and 0.4 <= sleeps[2] <= 0.8


def test_5xx_that_persists_is_a_transient_error_after_the_last_attempt(
    client: AcronisClient, acronis_emulator: AcronisEmulator
) -> None:
    acronis_emulator.fail(
        "GET", partner(acronis_emulator), status=500, times=None, message="database is down"
    )
    with pytest.raises(AcronisError) as caught:
        read_partner(client, acronis_emulator)
    assert caught.value.transient and caught.value.status == 500
    assert str(caught.value) == "Acronis failed when reading the partner tenant (HTTP 500: database is down)"
    assert len(acronis_emulator.requests("GET", partner(acronis_emulator))) == FAST.attempts


def test_a_post_that_failed_is_never_sent_again_by_the_client(
    client: AcronisClient, acronis_emulator: AcronisEmulator, sleeps: list[float]
) -> None:
    acronis_emulator.fail("POST", "/users", status=500, apply_first=True)
    body = {
        "tenant_id": acronis_emulator.tenant_id("Globex Logistics"),
        "login": "mary@globex.example",
        "contact": {"email": "mary@globex.example"},
    }
    with pytest.raises(OutcomeUnknown, match="may or may not have happened"):
        client.post("/users", body, what="creating the account")
    assert len(acronis_emulator.requests("POST", "/users")) == 1 and sleeps == []
    assert acronis_emulator.accounts() == ["mary@globex.example"]  # it did happen


def test_a_slow_read_is_abandoned_at_the_timeout_and_tried_again(acronis_emulator: AcronisEmulator) -> None:
    slow = AcronisClient(
        acronis_emulator.url,
        client_id=acronis_emulator.client_id,
        client_secret=acronis_emulator.client_secret,
        timeout=0.3,
        retry=FAST,
        sleep=lambda _: None,
    )
    acronis_emulator.fail("GET", partner(acronis_emulator), status=None, delay=1.0)
    assert read_partner(slow, acronis_emulator)["name"] == "Example MSP"
    # The first, slow answer is logged by the emulator only once it is finally written.
    wait_until(
        lambda: len(acronis_emulator.requests("GET", partner(acronis_emulator))) == 2, what="both reads"
    )
    slow.close()


def test_an_unreachable_data_center_is_a_transient_error() -> None:
    nowhere = AcronisClient(
        f"http://127.0.0.1:{free_port()}",
        client_id="x",
        client_secret="y",
        timeout=1,
        retry=FAST,
        sleep=lambda _: None,
    )
    with pytest.raises(AcronisError) as caught:
        nowhere.get("/clients/x", what="reading the API client")
    assert caught.value.transient and "could not be reached" in str(caught.value)
    nowhere.close()
