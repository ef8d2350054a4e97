"""A few hundred hostile records against the service as a process: each gets its 4xx reply."""
# Raw records: malformed and hostile bytes by design (benchmarks/hostile), nothing a client sends.

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.hostile import Options, run
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


async def test_every_hostile_record_gets_a_4xx_and_the_service_holds_up(
    servers: Servers, tmp_path: Path
) -> None:
    options = Options(
        bootstrap_servers=servers.kafka_bootstrap_servers,
        mongodb_uri=servers.mongodb_uri,
        records=260,
        chunk=130,
        timeout=240,
        log_dir=tmp_path,
    )
    summary = await run(options)
    assert summary.wrong == [], summary.report()
    assert summary.unanswered == 0
    assert summary.service_alive
    assert summary.dead_letters == 0
    assert set(summary.sent) == {
        "random bytes",
        "invalid UTF-8 value",
        "invalid UTF-8 header",
        "duplicate headers",
        "deep nesting",
        "huge string",
        "huge array",
        "beyond max size",
        "non-finite number",
        "forbidden keys",
        "header of wrong JSON type",
        "reply to a forbidden topic",
        "empty or null",
    }
    assert sum(summary.statuses.values()) == 260
    assert all(status.startswith("4") for status in summary.statuses)
