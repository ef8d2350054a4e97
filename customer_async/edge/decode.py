"""Turns a request record into a `Command`, or into a `Rejection` that still knows where to reply.

Every path of the contract's Request section lives here: the correlation id (generated when
absent), the reply channel and its allow-list, the `Parameters` header (or a JSON-object payload
for retrieve, list and delete), the size limit, and the JSON value. Decoding never raises.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from customer_async.edge.records import IncomingRecord
from customer_async.errors import (
    CustomerAsyncError,
    InternalError,
    InvalidJson,
    PayloadTooLarge,
    ReplyChannelForbidden,
    RequestError,
)
from customer_async.settings import Settings
from customer_async.types import JSON, Command, Operation

CORRELATION_ID = "X-Correlation-Id"
REPLY_CHANNEL = "Reply-Channel"
PARAMETERS = "Parameters"
CONTENT_TYPE = "Content-Type"
SPRING_CORRELATION_ID = "kafka_correlationId"
SPRING_REPLY_TOPIC = "kafka_replyTopic"
"""Spring for Apache Kafka's ReplyingKafkaTemplate sends these (raw bytes) instead."""
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_HEADERS = (TRACEPARENT, TRACESTATE)
"""W3C Trace Context: carried from the request to its reply and events."""
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-[0-9a-f]{16}-(?P<flags>[0-9a-f]{2})"
)

_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")
"""A name Kafka accepts for a topic; a reply sent to any other would be refused for good."""

log = logging.getLogger(__name__)

_PARAMETERS_FROM_PAYLOAD = (Operation.RETRIEVE, Operation.LIST, Operation.DELETE)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request refused before any handler ran, with all a reply needs."""

    operation: Operation
    correlation_id: str
    request_topic: str
    reply_channel: str
    key: str | None
    error: CustomerAsyncError
    echo: tuple[tuple[str, bytes], ...] = ()


class RequestTopics:
    """Maps request topics to operations, and knows which topics a reply must never go to."""

    def __init__(self, settings: Settings) -> None:
        self._by_topic = {settings.request_topic(op): op for op in Operation}
        self._forbidden_replies = {*self._by_topic, settings.notification_topic}
        self._default_reply = {op: settings.reply_topic(op) for op in Operation}
        self._allowed = settings.reply_channel_pattern
        self._max_bytes = settings.max_request_bytes

    @property
    def topics(self) -> list[str]:
        """The five request topics."""
        return list(self._by_topic)

    def operation(self, topic: str) -> Operation:
        """The operation of the request topic `topic`."""
        return self._by_topic[topic]

    def default_reply(self, operation: Operation) -> str:
        """The operation's default reply topic."""
        return self._default_reply[operation]

    def reply_allowed(self, channel: str) -> bool:
        """Whether a reply may be sent to `channel`."""
        if channel in self._forbidden_replies or _TOPIC_NAME.fullmatch(channel) is None:
            return False
        return self._allowed.fullmatch(channel) is not None

    def decode(self, record: IncomingRecord) -> Command | Rejection:
        """The command in `record`, or why it is refused (it never raises)."""
        try:
            return self._decode(record)
        except Exception:
            # A bug here must still leave the request its one (500) reply.
            log.exception(
                "could not decode %s/%d@%d", record.topic, record.partition, record.offset
            )
            operation = self._by_topic[record.topic]
            return Rejection(
                operation,
                str(uuid.uuid4()),
                record.topic,
                self._default_reply[operation],
                None,
                InternalError("the request could not be decoded"),
            )

    def _decode(self, record: IncomingRecord) -> Command | Rejection:
        operation = self._by_topic[record.topic]
        headers = _headers(record.headers)
        correlation_id, echo = _correlation(headers, record.headers)
        echo += _trace_context(headers)
        key = _text(record.key)
        default_reply = self._default_reply[operation]

        def reject(error: RequestError, reply_channel: str = default_reply) -> Rejection:
            return Rejection(
                operation, correlation_id, record.topic, reply_channel, key, error, echo
            )

        reply_channel = (
            headers.get(REPLY_CHANNEL) or headers.get(SPRING_REPLY_TOPIC) or default_reply
        )
        if not self.reply_allowed(reply_channel):
            return reject(ReplyChannelForbidden(f"replies may not go to {reply_channel!r}"))
        value = record.value or b""
        if len(value) > self._max_bytes:
            return reject(
                PayloadTooLarge(f"the value has {len(value)} bytes; at most {self._max_bytes}"),
                reply_channel,
            )
        try:
            payload = _json_value(value)
            parameters = _parameters(headers.get(PARAMETERS), operation, payload)
        except InvalidJson as error:
            return reject(error, reply_channel)
        return Command(
            operation=operation,
            correlation_id=correlation_id,
            request_topic=record.topic,
            reply_channel=reply_channel,
            parameters=parameters,
            content_type=headers.get(CONTENT_TYPE),
            payload=payload,
            key=key,
            echo=echo,
        )


def _correlation(
    headers: Mapping[str, str], raw: Sequence[tuple[str, bytes | None]]
) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """The request's correlation id, and what the reply must echo in the caller's own form.

    `X-Correlation-Id` wins; else Spring's `kafka_correlationId`, whose raw bytes (a binary UUID
    by default) go back unchanged and whose text form (UTF-8 when printable, else hex) names the
    request; else a new UUID.
    """
    named = headers.get(CORRELATION_ID)
    if named:
        return named, ()
    spring = next((v for n, v in raw if n == SPRING_CORRELATION_ID and v), None)
    if spring is None:
        return str(uuid.uuid4()), ()
    try:
        text = spring.decode("utf-8")
    except UnicodeDecodeError:
        text = spring.hex()
    if not text.isprintable():
        text = spring.hex()
    return text, ((SPRING_CORRELATION_ID, spring),)


def _trace_context(headers: Mapping[str, str]) -> tuple[tuple[str, bytes], ...]:
    """The reply's and events' trace headers: the caller's trace, in a span of this service.

    A valid `traceparent` keeps its trace id and flags under a new span id (this request's
    handling), and `tracestate` goes along unchanged; an invalid one is dropped, as W3C Trace
    Context asks.
    """
    parent = _TRACEPARENT.fullmatch(headers.get(TRACEPARENT, "").strip())
    if parent is None or parent["version"] == "ff" or set(parent["trace"]) == {"0"}:
        return ()
    span = secrets.token_hex(8)
    context = [(TRACEPARENT, f"00-{parent['trace']}-{span}-{parent['flags']}".encode())]
    if TRACESTATE in headers:
        context.append((TRACESTATE, headers[TRACESTATE].encode()))
    return tuple(context)


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    return raw.decode("utf-8", errors="replace")


def _headers(raw: Sequence[tuple[str, bytes | None]]) -> dict[str, str]:
    """Header values as text; the first of a repeated header wins, names compare exactly."""
    headers: dict[str, str] = {}
    for name, value in raw:
        if name not in headers and value is not None:
            headers[name] = value.decode("utf-8", errors="replace")
    return headers


MAX_NESTING = 64
"""Deepest JSON nesting accepted; a customer needs fewer than ten levels."""


class _NumberOutOfRange(ValueError):
    """A JSON number no reply could repeat (NaN, ±Infinity) or the store could not hold."""


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NumberOutOfRange(f"{text[:40]} is beyond the range of a double")
    return number


def _int64(text: str) -> int:
    # Python refuses to parse more than 4300 digits; the store holds 64-bit integers only.
    if len(text) > 20 or not -(2**63) <= int(text) < 2**63:
        raise _NumberOutOfRange(f"{text[:40]} is beyond the range of a 64-bit integer")
    return int(text)


def _non_finite(text: str) -> float:
    raise _NumberOutOfRange(f"{text} is not a JSON number")


def _load_json(text: str | bytes, what: str) -> JSON:
    """Parsed JSON no deeper than `MAX_NESTING`, or `InvalidJson` (never a RecursionError).

    Python's parser takes `NaN`, `Infinity` and `1e999` (as inf), which no JSON reply could
    repeat, and integers the store cannot hold: each is refused here.
    """
    try:
        value = json.loads(
            text, parse_float=_finite_float, parse_int=_int64, parse_constant=_non_finite
        )
    except _NumberOutOfRange as exc:
        raise InvalidJson(f"{what} has a number out of range: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidJson(f"{what} is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidJson(f"{what} is nested deeper than {MAX_NESTING} levels") from exc
    _check_nesting(value, what)
    return value


def _check_nesting(value: JSON, what: str) -> None:
    containers = [value] if isinstance(value, dict | list) else []
    depth = 0
    while containers:
        depth += 1
        if depth > MAX_NESTING:
            raise InvalidJson(f"{what} is nested deeper than {MAX_NESTING} levels")
        containers = [
            child
            for node in containers
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]


def _json_value(value: bytes) -> JSON:
    if not value.strip():
        return None
    return _load_json(value, "the value")


def _parameters(header: str | None, operation: Operation, payload: JSON) -> Mapping[str, JSON]:
    if header is not None:
        parameters = _load_json(header, "the Parameters header")
        if not isinstance(parameters, dict):
            raise InvalidJson("the Parameters header must be a JSON object")
        return parameters
    if operation in _PARAMETERS_FROM_PAYLOAD and payload is not None:
        if not isinstance(payload, dict):
            raise InvalidJson("without a Parameters header the value must be a JSON object")
        return payload
    return {}
