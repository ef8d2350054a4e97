"""Reading a reply record, and the table of calls waiting for theirs (by `X-Correlation-Id`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from customer_async.client.errors import CustomerClientError, MalformedReply, error_from_reply

RawHeaders = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply as the contract defines it: status, headers, key and the decoded JSON value."""

    status: int
    correlation_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def raise_for_status(self) -> None:
        """Raise the `ErrorReply` subclass for a non-2xx status."""
        if not self.ok:
            raise error_from_reply(self.status, self.body, self.correlation_id, self.headers)

    def count(self, header: str) -> int | None:
        """An integer header such as `X-Total-Count` (None when absent or not a number)."""
        text = self.headers.get(header)
        return int(text) if text is not None and text.isdigit() else None


def decode_headers(raw: RawHeaders) -> dict[str, str]:
    """Header values as text (the contract's values are UTF-8); the last of a repeated name wins."""
    return {name: (value or b"").decode("utf-8", "replace") for name, value in raw}


def correlation_id_of(raw: RawHeaders) -> str | None:
    """The `X-Correlation-Id` of a record, read without decoding anything else."""
    for name, value in raw:
        if name == "X-Correlation-Id" and value is not None:
            return value.decode("utf-8", "replace")
    return None


def parse_reply(key: bytes | None, value: bytes | None, raw_headers: RawHeaders) -> Reply:
    """A reply record as a `Reply`; `MalformedReply` if its status or value break the contract."""
    headers = decode_headers(raw_headers)
    correlation_id = headers.get("X-Correlation-Id", "")
    status_text = headers.get("Status-Code", "")
    if not (len(status_text) == 3 and status_text.isdigit()):
        raise MalformedReply(
            f"reply {correlation_id!r} has no valid Status-Code header ({status_text!r})"
        )
    try:
        body = json.loads(value) if value else None
    except ValueError as exc:
        raise MalformedReply(f"reply {correlation_id!r} value is not JSON: {exc}") from exc
    return Reply(
        status=int(status_text),
        correlation_id=correlation_id,
        headers=headers,
        body=body,
        key=None if key is None else key.decode("utf-8", "replace"),
    )


class PendingReplies:
    """Futures of the calls in flight, keyed by their correlation id.

    One reader resolves them all, so any number of concurrent calls share one consumer. A reply
    nobody waits for (another client's on a shared topic, or one that came after its timeout) is
    ignored.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Reply]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def __contains__(self, correlation_id: object) -> bool:
        return correlation_id in self._waiting

    def expect(self, correlation_id: str) -> asyncio.Future[Reply]:
        """A future for the reply to `correlation_id`; one call at a time per correlation id."""
        if correlation_id in self._waiting:
            raise ValueError(f"a call with correlation id {correlation_id!r} is already waiting")
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[correlation_id] = future
        return future

    def forget(self, correlation_id: str) -> None:
        """Stop waiting (the call finished, failed or timed out)."""
        future = self._waiting.pop(correlation_id, None)
        if future is not None and not future.done():
            future.cancel()

    def deliver(self, correlation_id: str | None, reply: Reply | CustomerClientError) -> bool:
        """Hand a reply (or the error reading it) to its waiting call; False if nobody waits."""
        future = self._waiting.get(correlation_id or "")
        if future is None or future.done():
            return False
        if isinstance(reply, CustomerClientError):
            future.set_exception(reply)
        else:
            future.set_result(reply)
        return True

    def fail_all(self, error: BaseException) -> None:
        """Fail every waiting call (the reader stopped for good)."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
