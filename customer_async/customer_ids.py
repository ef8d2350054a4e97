"""Which customer a command is about: the `id` parameter, or the id a create assigns.

A create's id is derived from the request's identity (request topic and correlation id), so a
create delivered again names the same customer: the store's unique `_id` makes it apply once,
and looking for what a request left behind is a lookup by `_id`, never a scan.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping

from customer_async.errors import InvalidParameter
from customer_async.types import JSON, Command, Operation

_CREATED_IDS = uuid.UUID("5d0b7e0c-3f4e-4b8e-9a57-6a1f0c2d9e11")
"""Namespace of the name-based (version 5) UUIDs given to created customers."""


@functools.lru_cache(maxsize=4096)
def created_customer_id(request_key: str) -> str:
    """The id a create with this request identity assigns (remembered for the last few
    thousand: one create asks for it several times, for its lane, window and write)."""
    return str(uuid.uuid5(_CREATED_IDS, request_key))


def requested_customer_id(parameters: Mapping[str, JSON]) -> str:
    """The `id` parameter: a non-empty string or a number, compared as a string."""
    raw = parameters.get("id")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidParameter("the `id` parameter is missing or not a string or number")
    text = str(raw).strip()
    if not text:
        raise InvalidParameter("the `id` parameter is empty")
    return text


def command_customer_id(command: Command) -> str | None:
    """The customer a write command changes, or None when its `id` parameter is unusable."""
    if command.operation is Operation.CREATE:
        return created_customer_id(command.request_key)
    try:
        return requested_customer_id(command.parameters)
    except InvalidParameter:
        return None
