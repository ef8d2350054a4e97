"""The hostile records, by kind: each malformed in one way, each owed a 4xx reply.

Every record carries a first `X-Correlation-Id` the reply must echo (after the service's own
UTF-8 decoding, replacement characters and all), and the topic its reply must arrive on: the
run's own reply topic, or the operation's default one (harness/topics.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from customer_async.types import Operation
from harness.topics import RunTopics

Headers = list[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class HostileRecord:
    """One request record and what its reply must look like."""

    kind: str
    operation: Operation
    correlation_id: str
    """As the service will echo it (the header's bytes decoded with replacement)."""
    reply_topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


_VALID_PARTY = {"id": "500", "@referredType": "Organization"}
_NON_FINITE = [b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity", b"9" * 30, b"1" * 4400]
_FORBIDDEN_KEYS = ["$where", "$set", "a.b", "__proto__", "_id", "constructor.prototype"]


@dataclass
class _Draft:
    operation: Operation
    value: bytes | None = b""
    headers: Headers | None = None
    key: bytes | None = b"k"
    custom_reply: bool = False
    default_reply: bool = False
    """The Reply-Channel is refused: the 403 goes to the operation's default topic."""


class HostileRecords:
    """Makes hostile records of every kind, reproducibly from a seed."""

    def __init__(self, topics: RunTopics, max_request_bytes: int, seed: int) -> None:
        self._topics = topics
        self._max = max_request_bytes
        self._random = random.Random(seed)
        self.kinds: dict[str, Callable[[], _Draft]] = {
            "random bytes": self._random_bytes,
            "invalid UTF-8 value": self._invalid_utf8_value,
            "invalid UTF-8 header": self._invalid_utf8_header,
            "duplicate headers": self._duplicate_headers,
            "deep nesting": self._deep_nesting,
            "huge string": self._huge_string,
            "huge array": self._huge_array,
            "beyond max size": self._beyond_max,
            "non-finite number": self._non_finite,
            "forbidden keys": self._forbidden_keys,
            "header of wrong JSON type": self._wrong_type_header,
            "reply to a forbidden topic": self._forbidden_reply,
            "empty or null": self._empty_or_null,
        }

    def make(self, index: int) -> HostileRecord:
        """The `index`-th record (kinds in turn)."""
        names = list(self.kinds)
        kind = names[index % len(names)]
        draft = self.kinds[kind]()
        correlation = f"hostile-{index}".encode()
        if kind == "invalid UTF-8 header" and index % 2:
            correlation += b"\xff\xfe"
        headers: Headers = [("X-Correlation-Id", correlation)]
        if draft.custom_reply and not draft.default_reply:
            headers.append(("Reply-Channel", self._topics.run_reply.encode()))
        headers += draft.headers or []
        reply_topic = (
            self._topics.run_reply
            if draft.custom_reply and not draft.default_reply
            else self._topics.default_reply(draft.operation)
        )
        return HostileRecord(
            kind,
            draft.operation,
            correlation.decode("utf-8", errors="replace"),
            reply_topic,
            draft.key,
            draft.value,
            headers,
        )

    def _operation(self, *choices: Operation) -> Operation:
        return self._random.choice(choices or tuple(Operation))

    def _random_bytes(self) -> _Draft:
        size = self._random.randint(0, 2000)
        value = b"\xff" + self._random.randbytes(size)  # never UTF-8, so never JSON
        return _Draft(self._operation(), value, custom_reply=self._random.random() < 0.3)

    def _invalid_utf8_value(self) -> _Draft:
        value = b'{"name": "Moon \xc3\x28 Club", "engagedParty": {"id": "\xed\xa0\x80"}}'
        return _Draft(self._operation(Operation.CREATE, Operation.PATCH), value)

    def _invalid_utf8_header(self) -> _Draft:
        operation = self._operation(Operation.RETRIEVE, Operation.LIST, Operation.DELETE)
        return _Draft(operation, b"", [("Parameters", b'{"id": "\xff\xfe"')])

    def _duplicate_headers(self) -> _Draft:
        operation = self._operation()
        headers: Headers = [
            ("Parameters", b"[1, 2]"),
            ("Parameters", b'{"id": "x"}'),
            ("X-Correlation-Id", b"second-one-loses"),
            ("Content-Type", b"text/plain"),
            ("Content-Type", b"application/json"),
        ]
        return _Draft(operation, b"", headers)

    def _deep_nesting(self) -> _Draft:
        depth = self._random.choice([65, 100, 1000, 5000])
        nested = b"[" * depth + b"]" * depth
        if self._random.random() < 0.5:
            return _Draft(Operation.CREATE, b'{"name": ' + nested + b"}")
        return _Draft(self._operation(Operation.LIST), b"", [("Parameters", nested)])

    def _huge_string(self) -> _Draft:
        text = "x" * self._random.randint(self._max // 4, self._max - 200)
        payload = {"name": text, "engagedParty": _VALID_PARTY, "$huge": text[:10]}
        return _Draft(Operation.CREATE, json.dumps(payload).encode(), custom_reply=True)

    def _huge_array(self) -> _Draft:
        # Each invalid array item costs the schema's error search milliseconds of CPU in the
        # event loop (see the README), so the huge arrays fail the attribute-name check first
        # and only a short one reaches the schema.
        if self._random.random() < 0.2:
            payload = {"name": "Moon", "engagedParty": _VALID_PARTY, "contactMedium": [1] * 20}
            return _Draft(Operation.CREATE, json.dumps(payload).encode())
        count = self._random.randint(1000, max(1001, self._max // 12))
        payload = {"name": "Moon", "engagedParty": _VALID_PARTY, "$x": [7] * count}
        value = json.dumps(payload, separators=(",", ":")).encode()
        return _Draft(Operation.CREATE, value, custom_reply=True)

    def _beyond_max(self) -> _Draft:
        size = self._max + self._random.randint(1, 4096)
        value = b'{"name": "' + b"x" * size + b'"}'
        return _Draft(self._operation(Operation.CREATE, Operation.PATCH), value)

    def _non_finite(self) -> _Draft:
        number = self._random.choice(_NON_FINITE)
        if self._random.random() < 0.5:
            value = b'{"name": "Moon", "engagedParty": {"id": "500"}, "x": ' + number + b"}"
            return _Draft(Operation.CREATE, value)
        parameters = b'{"limit": ' + number + b"}"
        return _Draft(Operation.LIST, b"", [("Parameters", parameters)])

    def _forbidden_keys(self) -> _Draft:
        key = self._random.choice(_FORBIDDEN_KEYS)
        if self._random.random() < 0.5:
            payload = {"name": "Moon", "engagedParty": {**_VALID_PARTY, key: 1}}
            return _Draft(Operation.CREATE, json.dumps(payload).encode())
        parameters = json.dumps({key: "1"}).encode()
        return _Draft(Operation.LIST, b"", [("Parameters", parameters)])

    def _wrong_type_header(self) -> _Draft:
        wrong = self._random.choice([b"[]", b'"id"', b"42", b"null", b"true", b"[{}]"])
        if self._random.random() < 0.7:
            return _Draft(self._operation(), b"", [("Parameters", wrong)])
        headers: Headers = [("Parameters", b'{"id": "nobody"}'), ("Content-Type", wrong)]
        return _Draft(Operation.PATCH, b'{"name": "x"}', headers)

    def _forbidden_reply(self) -> _Draft:
        operation = self._operation()
        channel = self._random.choice(
            [
                self._topics.request(self._operation()),
                self._topics.notification,
                self._topics.dead_letter,
                "bad channel.commandReply",
                "x" * 300 + ".commandReply",
                "",
            ]
        ).encode()
        if not channel:
            channel = b"\xff\xfe.commandReply"
        draft = _Draft(operation, b"{}", [("Reply-Channel", channel)], custom_reply=True)
        draft.default_reply = True
        return draft

    def _empty_or_null(self) -> _Draft:
        operation = self._operation(
            Operation.RETRIEVE, Operation.CREATE, Operation.PATCH, Operation.DELETE
        )
        value = self._random.choice([None, b"", b"null", b"   "])
        # A record needs a key or a value (the producer refuses neither).
        key = b"" if value is None else self._random.choice([None, b""])
        headers: Headers = [("Parameters", None), ("Content-Type", None)]
        return _Draft(operation, value, headers if self._random.random() < 0.5 else [], key)
