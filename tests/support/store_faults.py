"""A loopback proxy in front of the real store that injects faults where a test wants them.

The service under test connects to the proxy (`StoreFaults.uri`) instead of the store. The
proxy forwards MongoDB wire-protocol messages unchanged, one whole message at a time (a 16-byte
header: int32 messageLength, requestID, responseTo, opCode), and reads each OP_MSG request
(opCode 2013: flagBits, then sections: kind 0 is the command body, whose first key names the
command and whose value names the collection, e.g. {"update": "customer"}; kind 1 is a document
sequence such as the statements of a bulk `update`). Rules pick commands by name, collection, the
`_id`s they name and any predicate, and act on them:

- DROP_BEFORE: close the client's connection; the command never reaches the store.
- DROP_AFTER: let the store run it, then close the connection instead of returning the reply
  (the write landed, its acknowledgement is lost).
- PASS: forward it (with `outage=`: the store becomes unreachable once its reply is returned).

`black_hole(seconds)` makes the store unreachable: every open connection is dropped, and new ones
are closed as soon as they are accepted. The proxy knows nothing about the service, so the same
test can run against any version of it. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import bson

OP_MSG = 2013
HEADER = struct.Struct("<iiii")
MAX_MESSAGE_BYTES = 48 * 1024 * 1024
"""The largest message a MongoDB server accepts; anything larger is a framing error."""
_CHECKSUM_PRESENT = 1
_STATEMENT_FIELDS = {"insert": "documents", "update": "updates", "delete": "deletes"}


class FramingError(Exception):
    """A message that is not MongoDB wire protocol as this proxy understands it."""


@dataclass(frozen=True, slots=True)
class StoreCommand:
    """One OP_MSG request as the store would see it."""

    name: str
    """The command: the first key of the body (`insert`, `update`, `find`, `hello`, …)."""
    collection: str | None
    """The value of that first key when it is a string: the collection for CRUD commands."""
    body: Mapping[str, Any]
    sequences: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    """Kind 1 sections by identifier, e.g. `updates` of a bulk write."""

    @property
    def statements(self) -> tuple[Mapping[str, Any], ...]:
        """The documents, updates or deletes of a write command, wherever the client put them."""
        name = _STATEMENT_FIELDS.get(self.name)
        if name is None:
            return ()
        inline = self.body.get(name) or ()
        return (*inline, *self.sequences.get(name, ()))

    @property
    def ids(self) -> frozenset[Any]:
        """The `_id` values the command names: inserted documents, statement or read filters."""
        found: list[Any] = []
        if self.name == "insert":
            found += [d.get("_id") for d in self.statements]
        else:
            filters = [s.get("q") for s in self.statements]
            filters += [self.body.get("filter"), self.body.get("query")]
            for query in filters:
                if isinstance(query, Mapping) and "_id" in query:
                    found += _id_values(query["_id"])
        return frozenset(i for i in found if isinstance(i, str | int))


def _id_values(condition: Any) -> list[Any]:
    if isinstance(condition, Mapping):
        return list(condition.get("$in", ())) + ([condition["$eq"]] if "$eq" in condition else [])
    return [condition]


def parse_command(message: bytes) -> StoreCommand | None:
    """The command an OP_MSG request carries; None for any other opCode."""
    if len(message) < HEADER.size:
        raise FramingError(f"a message of {len(message)} bytes has no header")
    length, _, _, op_code = HEADER.unpack_from(message)
    if length != len(message):
        raise FramingError(f"header says {length} bytes, message has {len(message)}")
    if op_code != OP_MSG:
        return None
    (flags,) = struct.unpack_from("<I", message, HEADER.size)
    end = len(message) - (4 if flags & _CHECKSUM_PRESENT else 0)
    at = HEADER.size + 4
    body: Mapping[str, Any] | None = None
    sequences: dict[str, tuple[Mapping[str, Any], ...]] = {}
    while at < end:
        kind = message[at]
        at += 1
        (size,) = struct.unpack_from("<i", message, at)
        if size < 5 or at + size > end:
            raise FramingError(f"section of {size} bytes at offset {at} overruns the message")
        if kind == 0:
            body = bson.decode(message[at : at + size])
        elif kind == 1:
            name_end = message.index(b"\x00", at + 4, at + size)
            identifier = message[at + 4 : name_end].decode()
            sequences[identifier] = tuple(bson.decode_all(message[name_end + 1 : at + size]))
        else:
            raise FramingError(f"unknown OP_MSG section kind {kind}")
        at += size
    if body is None or not body:
        raise FramingError("an OP_MSG without a command body")
    name, first = next(iter(body.items()))
    return StoreCommand(name, first if isinstance(first, str) else None, body, sequences)


async def read_message(reader: asyncio.StreamReader) -> bytes:
    """One whole wire-protocol message; IncompleteReadError at a clean end of stream."""
    header = await reader.readexactly(HEADER.size)
    (length,) = struct.unpack_from("<i", header)
    if not HEADER.size <= length <= MAX_MESSAGE_BYTES:
        raise FramingError(f"message length {length} out of bounds")
    return header + await reader.readexactly(length - HEADER.size)


class Fault(enum.Enum):
    """What a rule does to a command it picks."""

    PASS = "pass"
    DROP_BEFORE = "drop before"
    DROP_AFTER = "drop after"


@dataclass(eq=False)
class Rule:
    """Picks commands and acts on some of them: the `nth` match on, `times` in a row.

    A command matches when its name is among `commands` (any when empty), its collection is
    `collection` (any when None), it names `about` among its `_id`s (when given) and `where`
    holds. A rule with `after` counts matches only once that rule has acted. `outage` makes the
    store unreachable for that long once the rule acted (after the reply, for PASS).
    """

    fault: Fault
    commands: frozenset[str] = frozenset()
    collection: str | None = None
    about: Any = None
    where: Callable[[StoreCommand], bool] | None = None
    nth: int = 1
    times: int | None = 1
    """How many matching commands from the nth it acts on; None: every one."""
    outage: float = 0.0
    after: Rule | None = None
    matched: int = 0
    hits: list[StoreCommand] = field(default_factory=list)
    """The commands the rule acted on, in order."""

    def matches(self, command: StoreCommand) -> bool:
        """Whether `command` is one this rule picks (its counters untouched)."""
        return (
            (not self.commands or command.name in self.commands)
            and (self.collection is None or command.collection == self.collection)
            and (self.about is None or self.about in command.ids)
            and (self.after is None or bool(self.after.hits))
            and (self.where is None or self.where(command))
        )

    def acts_on(self, command: StoreCommand) -> bool:
        """Counts a match; True when the rule is to act on this one."""
        if not self.matches(command):
            return False
        self.matched += 1
        if self.matched < self.nth:
            return False
        if self.times is not None and self.matched >= self.nth + self.times:
            return False
        self.hits.append(command)
        return True


def proxied_uri(uri: str, port: int) -> str:
    """`uri` with its host and port replaced by the proxy's (credentials and options kept)."""
    parts = urlsplit(uri)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class _Link:
    """One client connection and the store connection it is relayed to."""

    def __init__(self, client: asyncio.StreamWriter, store: asyncio.StreamWriter) -> None:
        self.client = client
        self.store = store
        self.pending: dict[int, Rule] = {}
        """Requests whose reply a rule acts on (DROP_AFTER, or PASS with an outage): by id."""
        self.awaiting: dict[int, str] = {}
        """Commands sent to the store and not answered yet: their names by request id."""

    def drop(self) -> None:
        for writer in (self.client, self.store):
            writer.transport.abort()


class StoreFaults:
    """The proxy: start it, point the service at `uri`, add rules, read what it saw."""

    def __init__(self, store_uri: str) -> None:
        target = urlsplit(store_uri)
        self._store_uri = store_uri
        self._store_host = target.hostname or "127.0.0.1"
        self._store_port = target.port or 27017
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._rules: list[Rule] = []
        self._unreachable_until = 0.0
        self.seen: list[StoreCommand] = []
        """Every OP_MSG command relayed or dropped, in arrival order (cleared by `forget`)."""
        self.outages = 0
        self.framing_errors: list[str] = []
        self._in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        """The most commands of each name the store was working on at once (all connections)."""

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def uri(self) -> str:
        """The store's URI with the proxy in its place."""
        return proxied_uri(self._store_uri, self.port)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.drop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> StoreFaults:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def add(self, rule: Rule) -> Rule:
        """Adds a rule; rules are tried in the order added, the first that acts wins."""
        self._rules.append(rule)
        return rule

    def drop_before(self, *commands: str, **options: Any) -> Rule:
        """The command never reaches the store: the connection is closed instead."""
        return self.add(Rule(Fault.DROP_BEFORE, frozenset(commands), **options))

    def drop_after(self, *commands: str, **options: Any) -> Rule:
        """The store runs the command; its reply is lost with the connection."""
        return self.add(Rule(Fault.DROP_AFTER, frozenset(commands), **options))

    def outage_after(self, *commands: str, seconds: float, **options: Any) -> Rule:
        """The command is answered, then the store is unreachable for `seconds`."""
        return self.add(Rule(Fault.PASS, frozenset(commands), outage=seconds, **options))

    def clear(self) -> None:
        """No rules, and the store reachable again (open connections are kept)."""
        self._rules.clear()
        self._unreachable_until = 0.0

    def forget(self) -> None:
        """Empties `seen`."""
        self.seen.clear()

    @property
    def unreachable(self) -> bool:
        return time.monotonic() < self._unreachable_until

    def black_hole(self, seconds: float) -> None:
        """The store is unreachable for `seconds` from now: every connection is dropped."""
        self.outages += 1
        self._unreachable_until = max(self._unreachable_until, time.monotonic() + seconds)
        for link in list(self._links):
            link.drop()

    async def reachable_again(self, timeout: float = 60.0) -> None:
        """Returns once no outage is under way."""
        deadline = time.monotonic() + timeout
        while self.unreachable:
            if time.monotonic() > deadline:
                raise TimeoutError("the proxy's outage did not end")
            await asyncio.sleep(min(0.05, self._unreachable_until - time.monotonic() + 0.001))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.unreachable:
            writer.transport.abort()
            return
        try:
            store_reader, store_writer = await asyncio.open_connection(
                self._store_host, self._store_port
            )
        except OSError:
            writer.transport.abort()
            return
        link = _Link(writer, store_writer)
        self._links.add(link)
        if self.unreachable:  # an outage began while connecting
            link.drop()
        self._spawn(self._relay_requests(link, reader))
        self._spawn(self._relay_replies(link, store_reader))

    def _rule_for(self, command: StoreCommand) -> Rule | None:
        for rule in self._rules:
            if rule.acts_on(command):
                return rule
        return None

    async def _relay_requests(self, link: _Link, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            try:
                while True:
                    message = await read_message(reader)
                    command = parse_command(message)
                    rule = None
                    if command is not None:
                        self.seen.append(command)
                        rule = self._rule_for(command)
                    if rule is not None and rule.fault is Fault.DROP_BEFORE:
                        link.drop()
                        if rule.outage:
                            self.black_hole(rule.outage)
                        return
                    (request_id,) = struct.unpack_from("<i", message, 4)
                    if rule is not None and (rule.fault is Fault.DROP_AFTER or rule.outage):
                        link.pending[request_id] = rule
                    if command is not None:
                        self._sent(link, request_id, command.name)
                    link.store.write(message)
                    await link.store.drain()
            except FramingError as exc:
                self.framing_errors.append(f"request: {exc}")
            finally:
                self._close(link)

    async def _relay_replies(self, link: _Link, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            try:
                while True:
                    message = await read_message(reader)
                    (response_to,) = struct.unpack_from("<i", message, 8)
                    self._answered(link, response_to)
                    rule = link.pending.pop(response_to, None)
                    if rule is not None and rule.fault is Fault.DROP_AFTER:
                        link.drop()
                        if rule.outage:
                            self.black_hole(rule.outage)
                        return
                    link.client.write(message)
                    await link.client.drain()
                    if rule is not None and rule.outage:
                        self.black_hole(rule.outage)
            except FramingError as exc:
                self.framing_errors.append(f"reply: {exc}")
            finally:
                self._close(link)

    def _sent(self, link: _Link, request_id: int, name: str) -> None:
        link.awaiting[request_id] = name
        self._in_flight[name] = self._in_flight.get(name, 0) + 1
        self.most_in_flight[name] = max(self.most_in_flight.get(name, 0), self._in_flight[name])

    def _answered(self, link: _Link, request_id: int) -> None:
        name = link.awaiting.pop(request_id, None)
        if name is not None:
            self._in_flight[name] -= 1

    def _close(self, link: _Link) -> None:
        for name in link.awaiting.values():
            self._in_flight[name] -= 1
        link.awaiting.clear()
        if link in self._links:
            self._links.discard(link)
            link.drop()


def settles(command: StoreCommand, fields: Iterable[str] = ("_outbox", "_pending")) -> bool:
    """Whether `command` is an update whose every statement touches only bookkeeping `fields`.

    That is how a write path empties (or trims) a customer's outbox after publishing it, as
    opposed to writing a change, which sets the resource's attributes too.
    """
    if command.name != "update" or not command.statements:
        return False
    wanted = set(fields)
    for statement in command.statements:
        update = statement.get("u")
        if not isinstance(update, Mapping) or not update:
            return False
        for operator, changes in update.items():
            if not operator.startswith("$") or not isinstance(changes, Mapping):
                return False
            if not set(changes) <= wanted:
                return False
    return True
