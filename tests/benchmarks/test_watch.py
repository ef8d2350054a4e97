"""Store trouble is counted in the service's log, a repeat summary by its count."""

from __future__ import annotations

from benchmarks.watch import BACKGROUND_FAILED, STORE_TIMEOUT, count_lines

LOG = """\
WARNING customer_async.service writing the ledger failed, will try again: timeout
INFO customer_async.service fetching resumed
WARNING customer_async.protocol.sweep outbox sweep failed, will try again: timeout \
(repeated 7 times in the last 10 s)
WARNING customer_async.dispatch patch 3f2a failed: the store did not answer (update)
"""


def test_background_failures_count_each_line_and_each_repeat() -> None:
    """One line, then a summary of seven repeats: eight failures."""
    assert count_lines(LOG, BACKGROUND_FAILED) == 8


def test_store_timeouts_are_the_lines_saying_the_store_did_not_answer() -> None:
    assert count_lines(LOG, STORE_TIMEOUT) == 1
