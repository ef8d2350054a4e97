"""The store as the service shows it after the run, read through the project's own client:
each customer retrieved (404 for the deleted), and every customer the store lists."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chaos.workload import Customer
from customer_async.client import (
    CustomerClient,
    CustomerClientError,
    NotFound,
    ReplyTimeout,
    ServiceUnavailable,
)

_CONCURRENT = 32
_CALL_SECONDS = 15.0


@dataclass
class FinalState:
    """What the service answered for each customer, by number (None: 404)."""

    retrieved: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    unreadable: dict[int, str] = field(default_factory=dict)
    """Customers whose retrieve got no usable answer, with why."""
    listed: list[str] | None = None
    """Ids of every customer the store lists (None: the list failed)."""
    list_error: str = ""


async def read_final_state(
    bootstrap_servers: str, prefix: str, customers: list[Customer], deadline: float
) -> FinalState:
    """Retrieve every created customer and list them all, resending (same correlation id) after
    a timeout or a 503 until `deadline` (monotonic)."""
    state = FinalState()
    async with CustomerClient(bootstrap_servers, prefix, timeout=_CALL_SECONDS) as client:
        slots = asyncio.Semaphore(_CONCURRENT)

        async def retrieve(customer: Customer) -> None:
            assert customer.customer_id is not None
            correlation = str(uuid.uuid4())
            async with slots:
                while True:
                    try:
                        found = await client.retrieve(
                            customer.customer_id, correlation_id=correlation
                        )
                    except NotFound:
                        state.retrieved[customer.number] = None
                        return
                    except (ReplyTimeout, ServiceUnavailable) as exc:
                        if time.monotonic() > deadline:
                            state.unreadable[customer.number] = str(exc)
                            return
                        await asyncio.sleep(1.0)
                        continue
                    except CustomerClientError as exc:
                        state.unreadable[customer.number] = str(exc)
                        return
                    state.retrieved[customer.number] = found
                    return

        await asyncio.gather(*(retrieve(c) for c in customers if c.customer_id is not None))
        try:
            state.listed = [
                str(c.get("id")) async for c in client.customers(fields="id", limit=500)
            ]
        except CustomerClientError as exc:
            state.list_error = str(exc)
    return state
