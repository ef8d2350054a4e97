"""Many requests at once over Kafka: send them all first, then await every reply together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from customer_async.types import Operation
from tests.support.client import Received, ServiceClient

BATCH_REPLY_TIMEOUT = 60.0


async def replies_to(
    client: ServiceClient, correlation_ids: Sequence[str | None]
) -> list[Received]:
    """The replies to already sent requests, in the order of `correlation_ids`."""
    sent = [correlation_id for correlation_id in correlation_ids if correlation_id is not None]
    assert len(sent) == len(correlation_ids), "every request must carry a correlation id"
    return list(
        await asyncio.gather(
            *(client.reply(correlation_id, BATCH_REPLY_TIMEOUT) for correlation_id in sent)
        )
    )


async def create_all(client: ServiceClient, payloads: Sequence[Any]) -> list[dict[str, Any]]:
    """Creates a customer for each payload (all sent before any reply is awaited).

    Returns the created customers in the order of `payloads`; every create must reply 201.
    """
    correlation_ids = [await client.send(Operation.CREATE, payload) for payload in payloads]
    replies = await replies_to(client, correlation_ids)
    for reply in replies:
        assert reply.status == 201, reply.body
    return [reply.body for reply in replies]
