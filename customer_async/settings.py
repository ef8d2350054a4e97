"""Configuration from the `CUSTOMER_ASYNC_*` environment; built on demand, never at import."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from customer_async.types import Operation


class Settings(BaseSettings):
    """Everything the service can be told; names follow the contract's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="CUSTOMER_ASYNC_", frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = "localhost:9092"
    topic_prefix: str = "tmf"
    mongodb_uri: str = "mongodb://localhost:27017"
    mongodb_database: str = "customer_management"
    href_base: str = "http://localhost:8080"
    group_id: str = "customer-async"
    group_instance_id: str | None = Field(
        default=None,
        description="A stable id per instance (static group membership): a restarted instance "
        "takes its partitions back at once instead of waiting for a rebalance.",
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="How long the group waits for a silent member before moving its partitions.",
    )
    heartbeat_interval_ms: int = Field(default=3_000, ge=100)

    reply_channel_allow: str = Field(
        default=r".*\.commandReply",
        description="Regular expression a Reply-Channel must match in full.",
    )
    max_request_bytes: int = Field(default=1024 * 1024, gt=0)
    default_limit: int = Field(default=100, gt=0)
    max_limit: int = Field(default=1000, gt=0)
    max_regex_length: int = Field(default=256, gt=0)
    store_retry_seconds: float = Field(
        default=30.0, ge=0, description="How long store outages are retried before a 503."
    )
    store_timeout_ms: int = Field(default=5000, gt=0)
    mongodb_max_pool_size: int = Field(
        default=32,
        gt=0,
        description="Connections to the store at most; requests beyond wait for one (FerretDB "
        "serves each with a PostgreSQL connection of a bounded pool).",
    )
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    log_repeat_window_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A repeated log line is written once, then summarised once per this window.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object a line, with the request's fields when known.",
    )
    http_enabled: bool = Field(
        default=True, description="Serve /healthz, /readyz and /metrics on the operations port."
    )
    http_host: str = Field(
        default="0.0.0.0",
        description="Address of the operations port: all interfaces, as probes and scrapers "
        "come from outside the container.",
    )
    http_port: int = Field(default=8081, ge=1, le=65535)
    max_in_flight: int = Field(
        default=64, gt=0, description="Requests handled at once by one instance (all partitions)."
    )
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    topic_partitions: int = Field(default=3, gt=0)
    topic_replication_factor: int = Field(default=1, gt=0)
    requests_remembered: int = Field(
        default=8,
        gt=0,
        description="Per customer, how many of the last write requests keep their reply, so that "
        "a redelivery of one of them is answered with it instead of being applied again.",
    )
    tombstone_retention_seconds: int = Field(
        default=24 * 3600,
        gt=0,
        description="How long a deleted customer's bookkeeping is kept to answer redeliveries.",
    )
    outbox_sweep_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Age after which an unpublished outbox entry is published by the sweep.",
    )
    fault_crash_after_write: bool = Field(
        default=False,
        description="Test hook: exit between a store write and its publish (crash recovery tests).",
    )

    @cached_property
    def reply_channel_pattern(self) -> re.Pattern[str]:
        """The compiled allow-list."""
        return re.compile(self.reply_channel_allow)

    def request_topic(self, operation: Operation) -> str:
        """`{prefix}.customerManagement.v5.{op}Customer.commandRequest`."""
        return f"{self.topic_prefix}.customerManagement.v5.{operation}Customer.commandRequest"

    def reply_topic(self, operation: Operation) -> str:
        """The operation's default reply topic."""
        return f"{self.topic_prefix}.customerManagement.v5.{operation}Customer.commandReply"

    @property
    def notification_topic(self) -> str:
        """Where the four customer events are published."""
        return f"{self.topic_prefix}.customerManagement.v5.customer.notificationEvent"

    @property
    def topic_ref(self) -> str:
        """`topicRef` of every customer: its retrieve topic on the first bootstrap host."""
        first = self.kafka_bootstrap_servers.split(",")[0].strip()
        host = urlsplit(f"//{first}").hostname or first
        return f"kafka://{host}/{self.request_topic(Operation.RETRIEVE)}"

    def customer_href(self, customer_id: str) -> str:
        """`{hrefBase}/tmf-api/customerManagement/v5/customer/{id}`."""
        return f"{self.href_base.rstrip('/')}/tmf-api/customerManagement/v5/customer/{customer_id}"
