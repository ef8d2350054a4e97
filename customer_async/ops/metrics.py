"""What the service counts, as Prometheus metrics in a registry of each instance's own.

The service's parts report to a `Metrics` (interfaces.py), whose base does nothing: a part built
without metrics (a unit test, a tool) needs no registry. `ServiceMetrics` keeps the numbers in a
`CollectorRegistry` it makes itself, so nothing is registered at import and two instances in one
process (the tests run several) never share a series. docs/operations.md lists every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

from customer_async.interfaces import Metrics
from customer_async.offsets import Partition

LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
"""Seconds; up to a minute because a store outage is retried for 30 s before its 503."""


class ServiceMetrics(Metrics):
    """One instance's metrics, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        # The client's standard process_* (CPU, memory, open files) and python_info series.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self._requests = Counter(
            "customer_async_requests",
            "Requests answered, by operation and reply status.",
            ["operation", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "customer_async_request_duration_seconds",
            "From the start of a request's handling to its reply acknowledged by the broker "
            "(a customer's writes wait for each other before this starts).",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._in_flight = Gauge(
            "customer_async_requests_in_flight",
            "Requests taken from Kafka and not answered yet.",
            registry=registry,
        )
        self._lag = Gauge(
            "customer_async_consumer_lag",
            "Records on an assigned request partition not yet taken by this instance "
            "(highwater minus position, as of the scrape).",
            ["topic", "partition"],
            registry=registry,
        )
        self._unpublished = Gauge(
            "customer_async_outbox_unpublished_writes",
            "Writes stored and not yet known published (their outbox stamp is pending).",
            registry=registry,
        )
        self._swept = Gauge(
            "customer_async_outbox_swept_customers",
            "Customers the last outbox sweep found with entries nobody had published.",
            registry=registry,
        )
        self._store_retries = Counter(
            "customer_async_store_retries",
            "Store commands tried again after a connection failure, by command.",
            ["command"],
            registry=registry,
        )
        self._events = Counter(
            "customer_async_events_published",
            "Notifications acknowledged by the broker, by event type.",
            ["event_type"],
            registry=registry,
        )

    def watch(self, *, in_flight: Callable[[], int], unpublished: Callable[[], int]) -> None:
        """Read these two gauges from the running service whenever metrics are scraped."""
        self._in_flight.set_function(in_flight)
        self._unpublished.set_function(unpublished)

    def request_handled(self, operation: str, status: int, seconds: float) -> None:
        self._requests.labels(operation=operation, status=str(status)).inc()
        self._latency.labels(operation=operation).observe(seconds)

    def event_published(self, event_type: str) -> None:
        self._events.labels(event_type=event_type).inc()

    def store_retried(self, command: str) -> None:
        self._store_retries.labels(command=command).inc()

    def outbox_swept(self, customers: int) -> None:
        self._swept.set(customers)

    def consumer_lag(self, lag: Mapping[Partition, int]) -> None:
        """The lag of each partition assigned now; partitions no longer assigned disappear."""
        self._lag.clear()
        for (topic, partition), records in lag.items():
            self._lag.labels(topic=topic, partition=str(partition)).set(records)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The registry in the format the `Accept` header asks for (Prometheus text by
        default, OpenMetrics on request), and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
