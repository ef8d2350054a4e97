"""Configuration from the `CUSTOMER_ASYNC_*` environment; built on demand, never at import."""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from customer_async.types import Operation


class Settings(BaseSettings):
    """Everything the service can be told; names follow the contract's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="CUSTOMER_ASYNC_", frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="localhost:9092",
        description="Kafka brokers to start from, `host:port` separated by commas; the first "
        "one's host is in every customer's `topicRef`.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How the service talks to Kafka: TLS (`SSL`), a SASL login, or both "
        "(see Security).",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512",
        description="The SASL mechanism of a `SASL_*` security protocol.",
    )
    kafka_sasl_username: str | None = Field(
        default=None,
        description="The SASL user; required with a `SASL_*` security protocol.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        description="The SASL password; required with a `SASL_*` security protocol.",
    )
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="PEM file of the CAs that sign the broker's certificate (unset: the system's).",
    )
    kafka_ssl_certfile: str | None = Field(
        default=None, description="PEM client certificate (mutual TLS)."
    )
    kafka_ssl_keyfile: str | None = Field(
        default=None, description="PEM key of the client certificate (mutual TLS)."
    )
    kafka_ssl_check_hostname: bool = Field(
        default=True,
        description="`false` skips the check of the broker's host name (the certificate is still "
        "verified).",
    )
    topic_prefix: str = Field(
        default="tmf",
        description="`{prefix}` of every topic.",
    )
    mongodb_uri: str = Field(
        default="mongodb://localhost:27017",
        description="The store's MongoDB URI; it may carry the login and TLS options (a password "
        "in it is masked).",
    )
    mongodb_database: str = Field(
        default="customer_management",
        description="The database that holds the customers.",
    )
    mongodb_username: str | None = Field(
        default=None,
        description="Store login user (the URI may carry it instead).",
    )
    mongodb_password: SecretStr | None = Field(
        default=None,
        description="Store login password (the URI may carry it instead).",
    )
    mongodb_auth_source: str | None = Field(
        default=None,
        description="Database of the store login (`authSource`; the URI may carry it instead).",
    )
    mongodb_tls: bool = Field(
        default=False,
        description="TLS to the store (or `?tls=true` in the URI).",
    )
    mongodb_tls_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CAs that sign the store's certificate.",
    )
    mongodb_tls_certificate_key_file: str | None = Field(
        default=None,
        description="Client certificate and key for the store, in one PEM file.",
    )
    mongodb_tls_allow_invalid_hostnames: bool = Field(
        default=False,
        description="Accept a store certificate whose host name does not match "
        "(`tlsAllowInvalidHostnames`).",
    )
    href_base: str = Field(
        default="http://localhost:8080",
        description="Base of every `href`.",
    )
    group_id: str = Field(
        default="customer-async",
        description="Kafka consumer group; instances with one group share the work.",
    )
    group_instance_id: str | None = Field(
        default=None,
        description="A stable id per instance (static group membership): a restarted instance "
        "takes its partitions back at once instead of waiting for a rebalance. No delivery promise "
        "depends on it.",
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="How long the group waits for a silent member before moving its partitions; "
        "also how long a customer lease lasts unless its holder renews it (FerretDB).",
    )
    heartbeat_interval_ms: int = Field(
        default=3_000,
        ge=100,
        description="How often an instance tells the group it is alive; with the session timeout, "
        "how soon the group notices a dead instance.",
    )

    reply_channel_allow: str = Field(
        default=r".*\.commandReply",
        description="Regular expression a Reply-Channel must match in full.",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request value in bytes; a larger one gets a 413.",
    )
    default_limit: int = Field(
        default=100,
        gt=0,
        description="List page size when a request names no `limit`.",
    )
    max_limit: int = Field(
        default=1000,
        gt=0,
        description="Largest `limit` a list request may ask for; more is a 400.",
    )
    max_regex_length: int = Field(
        default=256,
        gt=0,
        description="Longest `.regex` filter value, in characters.",
    )
    store_retry_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a store outage is retried before a read gets a 503; a write waits "
        "the store out instead (see Delivery).",
    )
    store_timeout_ms: int = Field(
        default=5000,
        gt=0,
        description="How long to wait for the store to be selected, connect, or acknowledge a "
        "write (`wTimeoutMS`); a socket read waits twice this.",
    )
    store_list_timeout_ms: int = Field(
        default=60_000,
        gt=0,
        description="How long one list query (page and count) may run in the store: a list "
        "scans its matches, which on a large store takes longer than a lookup. Past it: 503, and "
        "the query is not run again.",
    )
    mongodb_max_pool_size: int = Field(
        default=32,
        gt=0,
        description="Connections to the store at most; requests beyond wait for one (FerretDB "
        "serves each with a PostgreSQL connection of a bounded pool).",
    )
    total_count_limit: int = Field(
        default=100,
        gt=0,
        description="A list counts its matches up to this many, or up to the end of the page "
        "asked for when that is further: up to there X-Total-Count is exact. Past it the count "
        "may stop: X-Total-Count is then one more than that bound and X-Total-Count-Exact is "
        "false. Every match counted is a document the store reads (on FerretDB about 0.3 ms).",
    )
    max_concurrent_lists: int = Field(
        default=4,
        gt=0,
        description="List queries sent to the store at once by one instance; more wait their "
        "turn in the service. A list scans its matches (FerretDB reads each whole), so many at "
        "once only make each slower, past the store timeout.",
    )
    shutdown_grace_seconds: float = Field(
        default=5.0,
        ge=0,
        description="On SIGTERM, how long requests in hand may finish before those that can be "
        "delivered again (nothing written yet, or waiting for a store that is away) are "
        "abandoned to the partition's next owner; a write under way always finishes.",
    )
    log_level: str = Field(
        default="INFO",
        description="Python log level; `DEBUG` adds a line per handled request to text logs.",
    )
    log_repeat_window_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A repeated log line is written once, then summarised once per this window.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object a line, with the request's fields when known (see "
        "Operations).",
    )
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop",
        description="The event loop `serve` runs on: `uvloop` (faster; asyncio's own where it is "
        "not installed, as on Windows) or `asyncio`.",
    )
    tracing: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="OpenTelemetry spans of each request, exported over OTLP/HTTP (the `otel` "
        "extra): `auto` when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT "
        "is set, `on` always (else http://localhost:4318), `off` never (see Operations).",
    )
    http_enabled: bool = Field(
        default=True,
        description="Serve /healthz, /readyz and /metrics on the operations port; `false` closes "
        "it.",
    )
    http_host: str = Field(
        default="0.0.0.0",
        description="Address of the operations port: all interfaces, as probes and scrapers "
        "come from outside the container.",
    )
    http_port: int = Field(
        default=8081,
        ge=1,
        le=65535,
        description="Port of the operations port; `0` is refused "
        "(`CUSTOMER_ASYNC_HTTP_ENABLED=false` closes it).",
    )
    max_in_flight: int = Field(
        default=64,
        gt=0,
        description="Requests handled at once by one instance (all partitions); one customer's "
        "writes stay in arrival order.",
    )
    create_topics: bool = Field(default=True, description="Create missing topics at start-up.")
    topic_partitions: int = Field(
        default=3,
        gt=0,
        description="Partitions of each topic the service creates.",
    )
    topic_replication_factor: int = Field(
        default=1,
        gt=0,
        description="Replication factor of each topic the service creates.",
    )
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
        default=10.0,
        gt=0,
        description=(
            "Age after which an outbox entry this instance failed to publish is published by the"
            " sweep, which runs twice in that time (so within 1.5 times this); what a dead"
            " instance left is published within the session timeout plus this."
        ),
    )
    fault_crash_after_write: bool = Field(
        default=False,
        description="Test hook: exit between a store write and its publish (crash recovery tests).",
    )

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL_") and (
            not self.kafka_sasl_username or self.kafka_sasl_password is None
        ):
            raise ValueError(
                f"security protocol {self.kafka_security_protocol} needs "
                "CUSTOMER_ASYNC_KAFKA_SASL_USERNAME and CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD"
            )
        return self

    def masked(self) -> dict[str, object]:
        """Every setting with its secrets masked: passwords, and the password of a URI."""
        shown: dict[str, object] = self.model_dump()
        for name, value in shown.items():
            if isinstance(value, SecretStr):
                shown[name] = "**********"
        shown["mongodb_uri"] = mask_uri_password(self.mongodb_uri)
        return shown

    def mongodb_client_options(self) -> dict[str, Any]:
        """AsyncMongoClient's login and TLS arguments; only those set are passed, so a URI that
        carries its own (`mongodb://user:pw@host/?tls=true`) keeps them."""
        options: dict[str, Any] = {}
        if self.mongodb_username:
            options["username"] = self.mongodb_username
        if self.mongodb_password is not None:
            options["password"] = self.mongodb_password.get_secret_value()
        if self.mongodb_auth_source:
            options["authSource"] = self.mongodb_auth_source
        if self.mongodb_tls:
            options["tls"] = True
        if self.mongodb_tls_ca_file:
            options["tlsCAFile"] = self.mongodb_tls_ca_file
        if self.mongodb_tls_certificate_key_file:
            options["tlsCertificateKeyFile"] = self.mongodb_tls_certificate_key_file
        if self.mongodb_tls_allow_invalid_hostnames:
            options["tlsAllowInvalidHostnames"] = True
        return options

    def environment(self) -> dict[str, str]:
        """The `CUSTOMER_ASYNC_*` variables that reproduce these settings in another process.

        Unset values stay unset (never the text "None"), and secrets are given in clear: this is
        for starting a child process, never for printing.
        """
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                text = value.get_secret_value()
            elif isinstance(value, list | dict):
                text = json.dumps(value)
            else:
                text = str(value)
            env[f"CUSTOMER_ASYNC_{name.upper()}"] = text
        return env

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


def mask_uri_password(uri: str) -> str:
    """`scheme://user:secret@host/...` → `scheme://user:***@host/...` (other URIs unchanged)."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    credentials, hosts = parts.netloc.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    netloc = f"{user}:***@{hosts}" if ":" in credentials else parts.netloc
    return urlunsplit(parts._replace(netloc=netloc))
