"""The docs' console-tool walk (docs/contract.md), run exactly as written, on the real stack."""
# Raw records: the docs' console-tool commands exactly as written; ServiceClient only watches.

from __future__ import annotations

import asyncio
import json
import os
import re

import pytest

from customer_async.settings import Settings
from harness.repository import REPO
from tests.support.client import ServiceClient
from tests.support.readme import readme_block
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


def parse_reply(line: str) -> tuple[dict[str, str], str, str]:
    headers_text, key, value = line.split("\t")
    headers = {}
    # Header values may contain commas (JSON); names are known, so split on ",Name:".
    for part in re.split(r",(?=[A-Za-z-]+:)", headers_text):
        name, _, text = part.partition(":")
        headers[name] = text
    return headers, key, value


async def test_readme_walk_and_examples_run_and_print_the_documented_replies(
    client: ServiceClient, settings: Settings, servers: Servers
) -> None:
    kafka_port = servers.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)[1]
    env = {
        **os.environ,
        "CUSTOMER_ASYNC_TOPIC_PREFIX": settings.topic_prefix,
        "CUSTOMER_ASYNC_STACK_KAFKA_PORT": kafka_port,
    }
    install = await asyncio.create_subprocess_exec(str(REPO / "scripts" / "stack"), "install")
    assert await install.wait() == 0
    walk = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        readme_block("walk") + readme_block("examples"),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(walk.communicate(), 240)
    assert walk.returncode == 0, stderr.decode()[-3000:]

    lines = [line for line in stdout.decode().splitlines() if line.strip()]
    replies = [parse_reply(line) for line in lines]
    statuses = [headers["Status-Code"] for headers, _, _ in replies]
    assert statuses == ["201", "200", "200", "200", "204", "201", "200", "200", "200", "200"]
    assert [h["X-Correlation-Id"] for h, _, _ in replies] == [
        *(f"walk-{n}" for n in range(1, 6)),
        *(f"ex-{n}" for n in range(1, 6)),
    ]

    created = json.loads(replies[0][2])
    customer_id = created["id"]
    assert replies[0][1] == customer_id
    assert created["status"] == "Created"
    assert json.loads(replies[1][2]) == {
        "id": customer_id,
        "href": created["href"],
        "@type": "Customer",
        "name": "Moon Football Club",
        "status": "Created",
    }
    listed_headers, _, listed = replies[2]
    assert listed_headers["X-Total-Count"] == "1"
    assert [c["id"] for c in json.loads(listed)] == [customer_id]
    patched = json.loads(replies[3][2])
    assert (patched["name"], patched["status"]) == ("Sun Football Club", "Approved")
    assert replies[4][1:] == (customer_id, "null")  # 204: no value

    example = json.loads(replies[5][2])
    listed_headers, _, listed = replies[6]
    assert listed_headers["X-Total-Count"] == "1"
    assert json.loads(listed) == [
        {"id": example["id"], "href": example["href"], "@type": "Customer", "name": example["name"]}
    ]
    merged = json.loads(replies[7][2])
    assert "validFor" not in merged
    assert json.loads(replies[8][2])["name"] == "Sun Football Club"
    queried = json.loads(replies[9][2])
    assert [m["preferred"] for m in queried["contactMedium"]] == [True, True]
    assert {**queried, "contactMedium": None} == {
        **merged,
        "name": "Sun Football Club",
        "contactMedium": None,
    }

    await client.wait_for(lambda: len([e for e in client.events if e.key == customer_id]) >= 4)
    kinds = [e.headers["eventType"] for e in client.events if e.key == customer_id]
    assert kinds[0] == "CustomerCreateEvent"
    assert set(kinds[1:3]) == {"CustomerStateChangeEvent", "CustomerAttributeValueChangeEvent"}
    assert kinds[3] == "CustomerDeleteEvent"
