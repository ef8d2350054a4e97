"""Security settings: what the Kafka and MongoDB clients are given, and what is never shown."""

from __future__ import annotations

import asyncio
import os
import ssl

import certifi
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from customer_async import cli
from customer_async.client import CustomerClient
from customer_async.edge.kafka_security import (
    check_kafka_login,
    describe_login,
    kafka_client_options,
)
from customer_async.settings import Settings, mask_uri_password
from harness.ports import free_port

SECRET = "s3cr3t-never-shown"


def sasl_ssl_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": "svc",
        "kafka_sasl_password": SECRET,
        "kafka_ssl_cafile": certifi.where(),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]  # pydantic coerces the values


def test_plaintext_is_the_default_and_adds_nothing_but_the_protocol() -> None:
    for name in list(os.environ):
        if name.startswith("CUSTOMER_ASYNC_"):
            del os.environ[name]
    assert kafka_client_options(Settings()) == {"security_protocol": "PLAINTEXT"}
    assert Settings().mongodb_client_options() == {}


def test_sasl_ssl_maps_to_aiokafka_arguments_with_a_verifying_tls_context() -> None:
    options = kafka_client_options(sasl_ssl_settings())
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "svc",
        "sasl_plain_password": SECRET,
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_hostname_check_can_be_turned_off_but_not_verification() -> None:
    context = kafka_client_options(sasl_ssl_settings(kafka_ssl_check_hostname=False))["ssl_context"]
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_sasl_plaintext_has_no_tls_and_ssl_has_no_login() -> None:
    sasl = kafka_client_options(sasl_ssl_settings(kafka_security_protocol="SASL_PLAINTEXT"))
    assert "ssl_context" not in sasl
    assert sasl["sasl_mechanism"] == "SCRAM-SHA-512"
    tls = kafka_client_options(Settings(kafka_security_protocol="SSL"))
    assert set(tls) == {"security_protocol", "ssl_context"}


def test_environment_names_and_bad_values() -> None:
    os.environ.update(
        {
            "CUSTOMER_ASYNC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "CUSTOMER_ASYNC_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "CUSTOMER_ASYNC_KAFKA_SASL_USERNAME": "svc",
            "CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD": SECRET,
        }
    )
    settings = Settings()
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert describe_login(settings) == "SASL_SSL SCRAM-SHA-256 as user 'svc'"
    os.environ["CUSTOMER_ASYNC_KAFKA_SASL_MECHANISM"] = "GSSAPI"
    with pytest.raises(ValidationError):
        Settings()


def test_sasl_without_credentials_is_refused_at_once() -> None:
    with pytest.raises(ValidationError, match="SASL_PASSWORD"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="svc")


def test_mongodb_login_and_tls_options_are_passed_only_when_set() -> None:
    settings = Settings(
        mongodb_username="app",
        mongodb_password=SECRET,  # type: ignore[arg-type]  # pydantic coerces it
        mongodb_auth_source="admin",
        mongodb_tls=True,
        mongodb_tls_ca_file="/etc/ca.pem",
    )
    assert settings.mongodb_client_options() == {
        "username": "app",
        "password": SECRET,
        "authSource": "admin",
        "tls": True,
        "tlsCAFile": "/etc/ca.pem",
    }


def test_uri_passwords_are_masked_and_other_uris_are_kept() -> None:
    assert (
        mask_uri_password("mongodb://app:pw@db1:27017,db2/?tls=true")
        == "mongodb://app:***@db1:27017,db2/?tls=true"
    )
    assert mask_uri_password("mongodb://app@db1") == "mongodb://app@db1"
    assert mask_uri_password("mongodb://db1:27017") == "mongodb://db1:27017"


def test_settings_command_masks_every_secret() -> None:
    result = CliRunner().invoke(
        cli.main,
        ["settings"],
        env={
            "CUSTOMER_ASYNC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "CUSTOMER_ASYNC_KAFKA_SASL_USERNAME": "svc",
            "CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD": SECRET,
            "CUSTOMER_ASYNC_MONGODB_PASSWORD": SECRET,
            "CUSTOMER_ASYNC_MONGODB_URI": f"mongodb://app:{SECRET}@127.0.0.1:27017",
        },
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD=**********" in result.output
    assert "CUSTOMER_ASYNC_MONGODB_URI=mongodb://app:***@127.0.0.1:27017" in result.output
    assert "CUSTOMER_ASYNC_KAFKA_SASL_USERNAME=svc" in result.output


def test_the_python_client_takes_the_login_from_the_settings() -> None:
    client = CustomerClient.from_settings(sasl_ssl_settings())
    assert client._kafka.options["sasl_plain_username"] == "svc"


def test_login_check_waits_for_a_broker_that_is_not_there_yet() -> None:
    settings = sasl_ssl_settings(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")

    async def check() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(check_kafka_login(settings), 1.0)

    asyncio.run(check())
