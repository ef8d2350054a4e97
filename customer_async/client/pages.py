"""A list reply as a page, and walking every page of one query."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from customer_async.client.errors import MalformedReply
from customer_async.client.replies import Reply

Customer = dict[str, Any]
"""A customer resource as the service sent it (see the `customer_async.client` docstring)."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its customers and the counts the reply carried."""

    items: list[Customer] = field(default_factory=list)
    offset: int = 0
    total_count: int | None = None
    """`X-Total-Count`: how many customers match the query (all pages); a lower bound when
    `total_exact` is False (the service counts only so far: at least one more page follows)."""
    result_count: int | None = None
    """`X-Result-Count`: how many are in this page."""
    total_exact: bool = True
    """`X-Total-Count-Exact`: False when `total_count` is a lower bound."""

    @property
    def next_offset(self) -> int:
        """Where the page after this one starts."""
        return self.offset + len(self.items)

    @property
    def is_last(self) -> bool:
        """Whether no customer matches past this page (by `X-Total-Count`, or an empty page)."""
        if not self.items:
            return True
        return self.total_count is not None and self.next_offset >= self.total_count

    @classmethod
    def from_reply(cls, reply: Reply, offset: int) -> Page:
        """The page a 200 list reply holds; `MalformedReply` if its value is not an array."""
        if not isinstance(reply.body, list):
            raise MalformedReply(f"list reply {reply.correlation_id!r} is not a JSON array")
        return cls(
            items=list(reply.body),
            offset=offset,
            total_count=reply.count("X-Total-Count"),
            result_count=reply.count("X-Result-Count"),
            total_exact=reply.headers.get("X-Total-Count-Exact") != "false",
        )


async def iterate_pages(
    fetch: Callable[[int], Awaitable[Page]], offset: int = 0
) -> AsyncIterator[Page]:
    """Every page from `offset` on, fetching the next only when the caller asks for it.

    Stops after the page that reaches `X-Total-Count`, or at the first empty page. The service
    always sorts by id last, so while nothing changes every match comes exactly once.
    """
    while True:
        page = await fetch(offset)
        yield page
        if page.is_last:
            return
        offset = page.next_offset
