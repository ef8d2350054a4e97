"""The metrics of one instance: their names and labels, per-instance registries, exposition."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from customer_async.ops.metrics import ServiceMetrics


def samples(metrics: ServiceMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the text exposition, by name and label set."""
    body, _ = metrics.exposition()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def labelled(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def test_every_metric_has_its_name_type_and_labels() -> None:
    metrics = ServiceMetrics()
    metrics.watch(in_flight=lambda: 3, unpublished=lambda: 2)
    metrics.request_handled("create", 201, 0.02)
    metrics.event_published("CustomerCreateEvent")
    metrics.store_retried("load")
    metrics.outbox_swept(4)
    metrics.consumer_lag({("tmf.createCustomer", 1): 7})
    body, _ = metrics.exposition()
    families = {
        family.name: (family.type, {frozenset(s.labels) for s in family.samples})
        for family in text_string_to_metric_families(body.decode())
        if not family.name.endswith("_created")  # creation times the client adds to counters
        and not family.name.startswith(("process_", "python_"))  # the client's standard ones
    }
    assert families == {
        "customer_async_requests": ("counter", {frozenset({"operation", "status"})}),
        "customer_async_request_duration_seconds": (
            "histogram",
            {frozenset({"operation", "le"}), frozenset({"operation"})},
        ),
        "customer_async_requests_in_flight": ("gauge", {frozenset()}),
        "customer_async_consumer_lag": ("gauge", {frozenset({"topic", "partition"})}),
        "customer_async_outbox_unpublished_writes": ("gauge", {frozenset()}),
        "customer_async_outbox_swept_customers": ("gauge", {frozenset()}),
        "customer_async_store_retries": ("counter", {frozenset({"command"})}),
        "customer_async_events_published": ("counter", {frozenset({"event_type"})}),
    }


def test_reports_become_sample_values() -> None:
    metrics = ServiceMetrics()
    metrics.watch(in_flight=lambda: 3, unpublished=lambda: 2)
    for status in (201, 201, 400):
        metrics.request_handled("create", status, 0.02)
    metrics.request_handled("retrieve", 404, 2.0)
    metrics.event_published("CustomerCreateEvent")
    metrics.event_published("CustomerCreateEvent")
    metrics.store_retried("load")
    metrics.outbox_swept(4)
    metrics.consumer_lag({("requests", 0): 7, ("requests", 2): 0})
    found = samples(metrics)
    assert found[("customer_async_requests_total", labelled(operation="create", status="201"))] == 2
    assert found[("customer_async_requests_total", labelled(operation="create", status="400"))] == 1
    assert (
        found[("customer_async_requests_total", labelled(operation="retrieve", status="404"))] == 1
    )
    count = "customer_async_request_duration_seconds_count"
    assert found[(count, labelled(operation="create"))] == 3
    bucket = "customer_async_request_duration_seconds_bucket"
    assert found[(bucket, labelled(operation="retrieve", le="1.0"))] == 0
    assert found[(bucket, labelled(operation="retrieve", le="2.5"))] == 1
    assert found[("customer_async_requests_in_flight", labelled())] == 3
    assert found[("customer_async_outbox_unpublished_writes", labelled())] == 2
    assert found[("customer_async_outbox_swept_customers", labelled())] == 4
    assert found[("customer_async_store_retries_total", labelled(command="load"))] == 1
    events = ("customer_async_events_published_total", labelled(event_type="CustomerCreateEvent"))
    assert found[events] == 2
    lag = "customer_async_consumer_lag"
    assert found[(lag, labelled(topic="requests", partition="0"))] == 7
    assert found[(lag, labelled(topic="requests", partition="2"))] == 0


def test_gauges_read_the_service_at_each_scrape() -> None:
    in_flight = [1]
    metrics = ServiceMetrics()
    metrics.watch(in_flight=lambda: in_flight[0], unpublished=lambda: 0)
    assert samples(metrics)[("customer_async_requests_in_flight", labelled())] == 1
    in_flight[0] = 5
    assert samples(metrics)[("customer_async_requests_in_flight", labelled())] == 5


def test_a_partition_no_longer_assigned_loses_its_lag() -> None:
    metrics = ServiceMetrics()
    metrics.consumer_lag({("requests", 0): 7, ("requests", 1): 3})
    metrics.consumer_lag({("requests", 1): 1})
    lags = {k: v for k, v in samples(metrics).items() if k[0] == "customer_async_consumer_lag"}
    assert lags == {("customer_async_consumer_lag", labelled(topic="requests", partition="1")): 1}


def test_instances_do_not_share_series_and_nothing_is_global() -> None:
    first, second = ServiceMetrics(), ServiceMetrics()
    first.request_handled("list", 200, 0.01)
    key = ("customer_async_requests_total", labelled(operation="list", status="200"))
    assert samples(first)[key] == 1
    assert key not in samples(second)
    global_names = {family.name for family in REGISTRY.collect()}
    assert not any(name.startswith("customer_async") for name in global_names)


def test_exposition_is_openmetrics_when_asked_for() -> None:
    metrics = ServiceMetrics()
    metrics.request_handled("delete", 204, 0.01)
    text, text_type = metrics.exposition("")
    open_body, open_type = metrics.exposition("application/openmetrics-text; version=1.0.0")
    assert text_type.startswith("text/plain; version=0.0.4")
    assert open_type.startswith("application/openmetrics-text")
    assert open_body.rstrip().endswith(b"# EOF")
    assert b'customer_async_requests_total{operation="delete",status="204"} 1.0' in text


def test_the_standard_process_and_python_metrics_are_there() -> None:
    names = {family.name for family in ServiceMetrics().registry.collect()}
    assert {"process_resident_memory_bytes", "process_cpu_seconds", "python_info"} <= names
