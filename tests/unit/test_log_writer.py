"""The log writer thread: request threads hand their records over, and the lines written carry
what the request's thread knew (its context, its traceback), scrubbed, after any burst of acks."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from bot.log_context import request_context, slack_context
from bot.logs import LogWriter, make_formatter, write_between_bursts

SECRET = "hunter2-the-signing-secret"


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(make_formatter("json", (SECRET,)))
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    writer = LogWriter(handler)
    writer.start()
    root.setLevel(logging.INFO)
    try:
        yield output
    finally:
        writer.stop()
        for handler_now in list(root.handlers):
            root.removeHandler(handler_now)
        for handler_before in before:
            root.addHandler(handler_before)
        root.setLevel(level)


def _lines(output: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        if hasattr(handler, "writer"):
            handler.writer.stop()


def test_a_line_carries_the_request_context_and_traceback_of_the_thread_that_logged_it(
    written: io.StringIO,
) -> None:
    def request() -> None:
        with request_context("req-0001-abcd"), slack_context("U012AB3CD", "T012AB3CD"):
            try:
                raise ValueError(f"token={SECRET}")
            except ValueError:
                logging.getLogger("bot.test").exception("could not answer %s", "/backup")

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    _flush()
    [line] = _lines(written)
    assert line["message"] == "could not answer /backup"
    assert (line["request_id"], line["slack_user"], line["slack_team"]) == (
        "req-0001-abcd",
        "U012AB3CD",
        "T012AB3CD",
    )
    assert "ValueError" in str(line["exception"]) and SECRET not in written.getvalue()


def test_a_lines_arguments_are_taken_when_it_is_logged_not_when_it_is_written(written: io.StringIO) -> None:
    held = threading.Event()
    write_between_bursts(held.wait)
    changing = ["before"]
    logging.getLogger("bot.test").info("state %s", changing)
    changing[0] = "after"
    held.set()
    _flush()
    assert _lines(written)[0]["message"] == "state ['before']"


def test_lines_wait_while_acks_are_due_and_are_all_written_after(written: io.StringIO) -> None:
    acks_out = threading.Event()
    write_between_bursts(acks_out.wait)
    for number in range(3):
        logging.getLogger("bot.test").info("line %d", number)
    assert not acks_out.wait(0.2) and written.getvalue() == ""  # nothing written during the burst
    acks_out.set()
    _flush()
    assert [line["message"] for line in _lines(written)] == ["line 0", "line 1", "line 2"]


def test_requests_that_never_stop_delay_the_lines_waiting_together_once(written: io.StringIO) -> None:
    waits: list[float] = []

    def busy(timeout: float) -> bool:  # acks always due: every wait runs out its patience
        waits.append(timeout)
        return threading.Event().wait(0.05)

    write_between_bursts(busy)
    for number in range(20):
        logging.getLogger("bot.test").info("line %d", number)
    _flush()
    assert len(_lines(written)) == 20
    assert len(waits) <= 3  # the lines queued during a wait go out together after it
