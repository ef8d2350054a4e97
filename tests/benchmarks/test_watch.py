"""Store trouble is counted in the service's log, a repeat summary by its count."""

from __future__ import annotations

from benchmarks.watch import SETTLE_FAILED, STORE_TIMEOUT, count_lines

LOG = """\
WARNING customer_async.protocol.settle settling 256 customers failed, will try again: timeout
INFO customer_async.service fetching resumed
WARNING customer_async.protocol.settle settling 12 customers failed, will try again: timeout \
(repeated 7 times in the last 10 s)
WARNING customer_async.dispatch patch 3f2a failed: the store did not answer (update)
"""


def test_settle_failures_count_each_line_and_each_repeat() -> None:
    """One line, then a summary of seven repeats: eight failed settles."""
    assert count_lines(LOG, SETTLE_FAILED) == 8


def test_store_timeouts_are_the_lines_saying_the_store_did_not_answer() -> None:
    assert count_lines(LOG, STORE_TIMEOUT) == 1
