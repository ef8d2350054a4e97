"""Configuration from the CUSTOMER_ASYNC_* environment, and the names derived from it."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr, ValidationError

from customer_async.settings import Settings
from customer_async.types import Operation


def test_defaults_are_the_contracts() -> None:
    for name in list(os.environ):
        if name.startswith("CUSTOMER_ASYNC_"):
            del os.environ[name]
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "localhost:9092"
    assert settings.topic_prefix == "tmf"
    assert settings.mongodb_uri == "mongodb://localhost:27017"
    assert settings.mongodb_database == "customer_management"
    assert settings.href_base == "http://localhost:8080"
    assert settings.group_id == "customer-async"
    assert settings.max_request_bytes == 1024 * 1024
    assert (settings.default_limit, settings.max_limit) == (100, 1000)


def test_environment_overrides_and_topic_names_follow_the_prefix() -> None:
    os.environ["CUSTOMER_ASYNC_TOPIC_PREFIX"] = "acme"
    os.environ["CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS"] = "k1.example:9093,k2:9093"
    settings = Settings()
    assert settings.request_topic(Operation.PATCH) == (
        "acme.customerManagement.v5.patchCustomer.commandRequest"
    )
    assert (
        settings.reply_topic(Operation.LIST)
        == "acme.customerManagement.v5.listCustomer.commandReply"
    )
    assert settings.notification_topic == "acme.customerManagement.v5.customer.notificationEvent"
    assert settings.topic_ref == (
        "kafka://k1.example/acme.customerManagement.v5.retrieveCustomer.commandRequest"
    )


def test_href_joins_the_base_without_a_double_slash() -> None:
    settings = Settings(href_base="https://api.example/")
    assert settings.customer_href("42") == (
        "https://api.example/tmf-api/customerManagement/v5/customer/42"
    )


def test_nonsense_limits_are_refused() -> None:
    os.environ["CUSTOMER_ASYNC_MAX_REQUEST_BYTES"] = "0"
    with pytest.raises(ValidationError):
        Settings()


def test_operations_defaults_and_nonsense_refused() -> None:
    for name in list(os.environ):
        if name.startswith("CUSTOMER_ASYNC_"):
            del os.environ[name]
    settings = Settings()
    assert (settings.http_enabled, settings.http_host, settings.http_port) == (
        True,
        "0.0.0.0",
        8081,
    )
    assert settings.log_format == "text"
    os.environ["CUSTOMER_ASYNC_HTTP_ENABLED"] = "false"
    os.environ["CUSTOMER_ASYNC_LOG_FORMAT"] = "json"
    assert (Settings().http_enabled, Settings().log_format) == (False, "json")
    for name, value in [("HTTP_PORT", "0"), ("HTTP_PORT", "65536"), ("LOG_FORMAT", "xml")]:
        os.environ[f"CUSTOMER_ASYNC_{name}"] = value
        with pytest.raises(ValidationError):
            Settings()
        del os.environ[f"CUSTOMER_ASYNC_{name}"]


def test_environment_reproduces_the_settings_in_a_child_and_leaves_unset_values_out() -> None:
    settings = Settings(
        topic_prefix="p",
        max_in_flight=7,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="svc",
        kafka_sasl_password=SecretStr("s3cret"),
    )
    env = settings.environment()
    assert env["CUSTOMER_ASYNC_TOPIC_PREFIX"] == "p"
    assert env["CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD"] == "s3cret"
    assert "CUSTOMER_ASYNC_GROUP_INSTANCE_ID" not in env
    assert "None" not in env.values()
    os.environ.update(env)  # as a child process started with it would see it
    assert Settings() == settings
