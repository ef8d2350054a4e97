"""The client commands of the CLI, without servers: input, filters, exit statuses, start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from customer_async import cli
from customer_async.client import errors
from customer_async.settings import Settings


def test_connection_variables_and_defaults_are_the_services() -> None:
    fields = Settings.model_fields
    prefix = Settings.model_config["env_prefix"]
    assert f"{prefix}KAFKA_BOOTSTRAP_SERVERS" == cli.BOOTSTRAP_ENV
    assert f"{prefix}TOPIC_PREFIX" == cli.PREFIX_ENV
    assert fields["kafka_bootstrap_servers"].default == cli.DEFAULT_BOOTSTRAP
    assert fields["topic_prefix"].default == cli.DEFAULT_PREFIX


def test_importing_the_cli_loads_neither_kafka_nor_pydantic() -> None:
    """What keeps `customer-async retrieve` quick to start (and `--help` instant)."""
    probe = (
        "import sys, customer_async.cli; "
        "print(sorted(m for m in ('aiokafka', 'pydantic', 'rich') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_filters_are_path_value_pairs_and_a_repeated_path_means_or() -> None:
    assert cli.parse_filters(
        ["name=Moon FC", "status=Created", "status=Approved", "validFor.startDateTime.gte=2024"]
    ) == {
        "name": "Moon FC",
        "status": ["Created", "Approved"],
        "validFor.startDateTime.gte": "2024",
    }
    assert cli.parse_filters(["note=a=b"]) == {"note": "a=b"}


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (
            errors.NotFound(
                404,
                code="NOT_FOUND",
                reason="Customer not found",
                message="no customer with id '42'",
                correlation_id="c-1",
            ),
            4,
            "404 Customer not found (NOT_FOUND): no customer with id '42' [correlation id c-1]",
        ),
        (
            errors.ServiceUnavailable(
                503, code="STORE_UNAVAILABLE", reason="Unavailable", message="", correlation_id="c"
            ),
            5,
            "503 Unavailable (STORE_UNAVAILABLE) [correlation id c]",
        ),
        (
            errors.ReplyTimeout("create", "c-2", 5),
            6,
            "no reply to create within 5 s; resend with --correlation-id c-2",
        ),
        (errors.BrokerUnavailable("connecting to Kafka: refused"), 7, None),
        (errors.TopicNotFound("acme.x.notificationEvent"), 7, None),
    ],
)
def test_each_kind_of_failure_has_its_exit_status(
    error: errors.CustomerClientError, status: int, line: str | None
) -> None:
    message, exit_status = cli.describe(error)
    assert exit_status == status
    assert message == (line or str(error))


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["create", "-"], "{not json", "customer-async: stdin is not JSON: "),
        (["create", "-"], "[1]", "customer-async: stdin must hold an object"),
        (["patch", "42", "-"], '"text"', "customer-async: stdin must hold an object or an array"),
        (["list", "--filter", "name"], "", "customer-async: --filter 'name': expected PATH=VALUE"),
        (["events", "--type", "update"], "", "customer-async: unknown event type 'update'"),
    ],
)
def test_bad_input_exits_2_with_one_line_before_connecting(
    arguments: list[str], stdin: str, message: str
) -> None:
    # The bootstrap address is never dialled: each of these fails before any connection.
    result = CliRunner().invoke(
        cli.main, [*arguments, "--bootstrap-servers", "127.0.0.1:1"], input=stdin
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_serve_and_settings_are_still_there() -> None:
    result = CliRunner().invoke(cli.main, ["settings"], env={"CUSTOMER_ASYNC_TOPIC_PREFIX": "acme"})
    assert result.exit_code == 0
    assert "CUSTOMER_ASYNC_TOPIC_PREFIX=acme" in result.stdout.splitlines()
    assert "serve" in CliRunner().invoke(cli.main, ["--help"]).stdout
