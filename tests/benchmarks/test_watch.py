"""Store trouble is counted in the service's log, a repeat summary by its count, and one gauge
is read from Prometheus text."""

from __future__ import annotations

from benchmarks.operations_port import gauge_value
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


def test_the_unlabelled_gauge_is_read_and_its_help_lines_skipped() -> None:
    text = (
        "# HELP customer_async_outbox_unsettled_customers Customers whose outbox waits.\n"
        "# TYPE customer_async_outbox_unsettled_customers gauge\n"
        "customer_async_outbox_unsettled_customers_total 9.0\n"
        "customer_async_outbox_unsettled_customers 2048.0\n"
    )

    assert gauge_value(text, "customer_async_outbox_unsettled_customers") == 2048.0
    assert gauge_value(text, "customer_async_requests_in_flight") is None
