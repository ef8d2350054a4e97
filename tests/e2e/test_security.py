"""The service over the broker's SASL_SSL listener (SCRAM-SHA-512, the stack's own CA).

One private stack for the module: SCRAM users are made when its storage is formatted.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from customer_async.cli import EXIT_MISCONFIGURED
from customer_async.client import CustomerClient
from customer_async.settings import Settings
from harness.private_stack import PrivateStack
from harness.repository import REPO
from harness.service import service_environment, start_service_process
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e

FAIL_FAST_SECONDS = 30.0
WRONG_PASSWORD = "wrong-password-never-shown"


@pytest.fixture(scope="module")
async def sasl_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateStack]:
    """A stack of this module's own whose broker also listens for SASL_SSL."""
    stack = PrivateStack(tmp_path_factory.mktemp("sasl-stack"), sasl_ssl=True)
    try:
        await stack.up()
        yield stack
    finally:
        await stack.remove()  # also after a failed `up`: nothing of it outlives the module


def secure_settings(stack: PrivateStack, **overrides: object) -> Settings:
    name = f"sec{uuid.uuid4().hex[:10]}"
    values: dict[str, object] = {
        **stack.sasl_ssl_settings,
        "mongodb_uri": stack.mongodb_uri,
        "mongodb_database": name,
        "topic_prefix": name,
        "group_id": f"{name}-service",
        "http_enabled": False,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]  # pydantic coerces the values


def password_of(settings: Settings) -> str:
    assert settings.kafka_sasl_password is not None
    return settings.kafka_sasl_password.get_secret_value()


@pytest.mark.timeout(600)
async def test_create_and_retrieve_over_sasl_ssl_without_a_secret_in_the_log(
    sasl_stack: PrivateStack, tmp_path: Path
) -> None:
    settings = secure_settings(sasl_stack)
    log = tmp_path / "service.log"
    service = await start_service_process(settings, log)
    try:
        async with CustomerClient.from_settings(settings, timeout=90.0) as client:
            created = await client.create(create_request(name="Over SASL_SSL"))
            retrieved = await client.retrieve(created["id"])
        assert retrieved["name"] == "Over SASL_SSL"
    finally:
        exit_code = await service.stop(60)
    text = log.read_text(errors="replace")
    assert exit_code == 0, text[-3000:]
    assert password_of(settings) not in text


async def test_settings_command_never_prints_the_password(sasl_stack: PrivateStack) -> None:
    settings = secure_settings(sasl_stack)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "customer_async",
        "settings",
        env=service_environment(settings),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    assert password_of(settings) not in output
    assert "CUSTOMER_ASYNC_KAFKA_SASL_PASSWORD=**********" in output


@pytest.mark.timeout(600)
async def test_a_wrong_password_stops_the_service_at_once_with_one_clear_error(
    sasl_stack: PrivateStack, tmp_path: Path
) -> None:
    settings = secure_settings(sasl_stack, kafka_sasl_password=WRONG_PASSWORD)
    log = tmp_path / "service.log"
    started = time.monotonic()
    service = await start_service_process(settings, log)
    try:
        exit_code = await service.wait_exit(FAIL_FAST_SECONDS)
    finally:
        await service.stop(60)
    elapsed = time.monotonic() - started
    text = log.read_text(errors="replace")
    assert exit_code == EXIT_MISCONFIGURED, text[-3000:]
    errors = [line for line in text.splitlines() if "refused the login" in line]
    assert len(errors) == 1, text[-3000:]
    assert "ERROR" in errors[0]
    assert "SCRAM-SHA-512" in errors[0]
    assert "'customer-async'" in errors[0]
    assert WRONG_PASSWORD not in text
    assert elapsed < FAIL_FAST_SECONDS
