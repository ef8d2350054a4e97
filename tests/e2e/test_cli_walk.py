"""The README's CLI walk, run exactly as written against a running service on the real stack."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from customer_async.service import CustomerService
from customer_async.settings import Settings
from harness.repository import REPO
from tests.support.readme import readme_block

pytestmark = pytest.mark.e2e

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def test_readme_cli_walk_prints_each_documented_result(
    settings: Settings, service: CustomerService
) -> None:
    del service  # requested for its side effect: the service is running
    env = {
        **os.environ,
        # The venv's `customer-async`, as after `source .venv/bin/activate`.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "CUSTOMER_ASYNC_TOPIC_PREFIX": settings.topic_prefix,
        "CUSTOMER_ASYNC_CLIENT_TIMEOUT": "30",
    }
    started = time.perf_counter()
    walk = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        readme_block("cli-walk"),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(walk.communicate(), 120)
    elapsed = time.perf_counter() - started
    assert walk.returncode == 0, stderr.decode()[-3000:]
    print(f"README CLI walk: {elapsed:.2f} s")

    lines = stdout.decode().splitlines()
    assert len(lines) == 9, lines
    created, retrieved, listed, patched, exit_status, *events = lines

    # create --quiet: only the id.
    match = re.fullmatch(rf"created ({UUID})", created)
    assert match is not None, created
    customer_id = match.group(1)
    href = f"{settings.href_base}/tmf-api/customerManagement/v5/customer/{customer_id}"

    # retrieve --fields name,status: compact JSON (stdout is a pipe), only those fields.
    assert json.loads(retrieved) == {
        "id": customer_id,
        "href": href,
        "@type": "Customer",
        "name": "Moon Football Club",
        "status": "Created",
    }
    assert retrieved == json.dumps(json.loads(retrieved), separators=(",", ":"))

    # list --filter name=… --fields name: one JSON array.
    assert json.loads(listed) == [
        {"id": customer_id, "href": href, "@type": "Customer", "name": "Moon Football Club"}
    ]

    # patch --merge: the whole customer after the patch.
    after = json.loads(patched)
    assert (after["id"], after["name"], after["status"]) == (
        customer_id,
        "Sun Football Club",
        "Approved",
    )
    assert after["engagedParty"]["id"] == "500"

    # delete prints nothing; the retrieve after it fails with 404 on stderr and exit status 4.
    assert exit_status == "exit status 4"
    errors = stderr.decode().splitlines()
    assert len(errors) == 1, errors
    assert re.fullmatch(
        rf"customer-async: 404 .+ \(.+\): .*{customer_id}.* \[correlation id .+\]", errors[0]
    ), errors[0]

    # events --customer ID --follow --count 4: the customer's four events, one JSON a line.
    bodies = [json.loads(line) for line in events]
    kinds = [body["eventType"] for body in bodies]
    assert kinds[0] == "CustomerCreateEvent"
    assert set(kinds[1:3]) == {"CustomerStateChangeEvent", "CustomerAttributeValueChangeEvent"}
    assert kinds[3] == "CustomerDeleteEvent"
    assert {body["event"]["customer"]["id"] for body in bodies} == {customer_id}


async def customer_async(
    settings: Settings, *arguments: str, stdin: bytes = b""
) -> tuple[int, str, str]:
    """Run the installed `customer-async` with the test's connection settings (stdout a pipe)."""
    command = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "customer-async"),
        *arguments,
        env={
            **os.environ,
            "CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "CUSTOMER_ASYNC_TOPIC_PREFIX": settings.topic_prefix,
        },
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(command.communicate(stdin), 120)
    assert command.returncode is not None
    return command.returncode, stdout.decode(), stderr.decode()


async def test_list_all_reads_every_page(settings: Settings, service: CustomerService) -> None:
    del service  # requested for its side effect: the service is running
    party = f"party-{settings.topic_prefix}"
    ids = set()
    for n in range(5):
        status, stdout, _ = await customer_async(
            settings,
            "create",
            "-q",
            "-",
            stdin=json.dumps({"name": f"Club {n}", "engagedParty": {"id": party}}).encode(),
        )
        assert status == 0
        ids.add(stdout.strip())

    status, stdout, stderr = await customer_async(
        settings, "list", "--filter", f"engagedParty.id={party}", "--all", "--limit", "2", "-q"
    )
    assert (status, stderr) == (0, "")
    assert sorted(stdout.split()) == sorted(ids)

    status, stdout, _ = await customer_async(
        settings,
        "list",
        "--filter",
        f"engagedParty.id={party}",
        "--all",
        "--limit",
        "2",
        "--sort",
        "-name",
        "--fields",
        "name",
    )
    assert status == 0
    assert [c["name"] for c in json.loads(stdout)] == [f"Club {n}" for n in range(4, -1, -1)]


async def test_no_reply_and_no_service_have_their_own_exit_statuses(settings: Settings) -> None:
    nobody = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}.nobody"})
    status, stdout, stderr = await customer_async(
        nobody, "retrieve", "42", "--timeout", "1", "--correlation-id", "try-again"
    )
    assert (status, stdout) == (6, "")
    assert stderr == (
        "customer-async: no reply to retrieve within 1 s; resend with --correlation-id try-again\n"
    )

    status, _, stderr = await customer_async(nobody, "events")
    assert status == 7
    assert "notificationEvent does not exist" in stderr
    assert stderr.count("\n") == 1
