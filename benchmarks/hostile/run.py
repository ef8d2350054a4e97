"""Sends the hostile records to a service child process and checks every reply.

The service runs as `python -m customer_async serve` on a fresh topic prefix and database
(removed at the end). Records go in chunks of `chunk`; after each chunk's replies arrive, the
child's resident set is read. Bounded by the record count and one overall time budget.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks.hostile.records import HostileRecord, HostileRecords
from benchmarks.loopback import require_loopback
from customer_async.settings import Settings
from customer_async.types import Operation
from harness.children import Child
from harness.cleanup import remove_run_data
from harness.proc import CURRENT, resident_kib
from harness.service import start_service_process
from harness.topics import RunTopics, create_topics

_PARTITIONS = 3


@dataclass
class Summary:
    """What the run found; `ok` when every record got its 4xx and the service held up."""

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    unanswered: int = 0
    dead_letters: int = 0
    rss_kib: list[int] = field(default_factory=list)
    service_alive: bool = True
    seconds: float = 0.0

    @property
    def rss_growth(self) -> float:
        """Growth of the resident set from the first chunk's end to the last's."""
        if len(self.rss_kib) < 2:  # the first and the last
            return 0.0
        return self.rss_kib[-1] / self.rss_kib[0] - 1

    @property
    def ok(self) -> bool:
        return (
            not self.wrong and not self.unanswered and self.service_alive and self.rss_growth < 0.1
        )

    def report(self) -> str:
        lines = [f"hostile input: {sum(self.sent.values())} records in {self.seconds:.1f} s"]
        lines += [f"  {count:6d}  {kind}" for kind, count in sorted(self.sent.items())]
        lines.append(
            "replies by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        )
        lines.append(f"unanswered: {self.unanswered}; wrong replies: {len(self.wrong)}")
        lines += [f"  {w}" for w in self.wrong[:20]]
        lines.append(f"dead letters: {self.dead_letters}")
        if self.rss_kib:
            lines.append(
                f"service RSS after the first chunk {self.rss_kib[0]} KiB, after the last "
                f"{self.rss_kib[-1]} KiB ({self.rss_growth:+.1%})"
            )
        lines.append(f"service alive at the end: {self.service_alive}")
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines)


@dataclass(frozen=True)
class Options:
    """How big and where: loopback servers only."""

    bootstrap_servers: str
    mongodb_uri: str
    records: int = 10_000
    chunk: int = 1_000
    max_request_bytes: int = 65_536
    timeout: float = 900.0
    seed: int = 629
    log_dir: Path = Path("/tmp")


async def run(options: Options) -> Summary:
    """One bounded run; the service child is stopped and the run's data removed at the end."""
    require_loopback(options.bootstrap_servers, options.mongodb_uri)
    name = f"hostile{uuid.uuid4().hex[:10]}"
    topics = RunTopics(name)
    await create_topics(options.bootstrap_servers, topics.all, _PARTITIONS)
    summary = Summary()
    started = time.monotonic()
    child = await _start_service(options, name)
    try:
        async with asyncio.timeout(options.timeout):
            await _drive(options, topics, child, summary)
    except TimeoutError:
        summary.wrong.append(f"the run's {options.timeout:.0f} s budget ran out")
    finally:
        summary.service_alive = not child.exited
        summary.seconds = time.monotonic() - started
        await child.stop()
        await remove_run_data(options.bootstrap_servers, topics.all, options.mongodb_uri, [name])
    return summary


async def _start_service(options: Options, name: str) -> Child:
    settings = Settings(
        kafka_bootstrap_servers=options.bootstrap_servers,
        mongodb_uri=options.mongodb_uri,
        mongodb_database=name,
        topic_prefix=name,
        group_id=name,
        max_request_bytes=options.max_request_bytes,
        topic_partitions=_PARTITIONS,
        http_enabled=False,
    )
    return await start_service_process(settings, options.log_dir / f"{name}-service.log")


async def _drive(options: Options, topics: RunTopics, child: Child, summary: Summary) -> None:
    consumer = AIOKafkaConsumer(
        *topics.replies,
        topics.dead_letter,
        bootstrap_servers=options.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=options.bootstrap_servers,
        max_request_size=options.max_request_bytes * 2 + 65_536,
        linger_ms=5,
    )
    await consumer.start()
    await producer.start()
    try:
        replies = _Replies(consumer, summary, topics.dead_letter)
        await _wait_until_serving(producer, topics, replies, child)
        records = HostileRecords(topics, options.max_request_bytes, options.seed)
        for first in range(0, options.records, options.chunk):
            chunk = [
                records.make(i) for i in range(first, min(first + options.chunk, options.records))
            ]
            for record in chunk:
                summary.sent[record.kind] += 1
                await producer.send(
                    topics.request(record.operation),
                    record.value,
                    key=record.key,
                    headers=record.headers,
                )
            await producer.flush()
            await replies.collect(chunk, child)
            if child.exited:
                break
            summary.rss_kib.append(resident_kib(child.pid, CURRENT))
    finally:
        await producer.stop()
        await consumer.stop()


async def _wait_until_serving(
    producer: AIOKafkaProducer, topics: RunTopics, replies: _Replies, child: Child
) -> None:
    """A probe (a retrieve with no id) answered means the service reads its topics."""
    for attempt in range(120):
        probe = HostileRecord(
            "probe",
            Operation.RETRIEVE,
            f"probe-{attempt}",
            topics.default_reply(Operation.RETRIEVE),
            None,
            b"",
            [("X-Correlation-Id", f"probe-{attempt}".encode())],
        )
        await producer.send_and_wait(topics.request(Operation.RETRIEVE), b"", headers=probe.headers)
        if await replies.collect([probe], child, seconds=2.0, counted=False):
            return
        if child.exited:
            raise RuntimeError(f"the service ended at start-up:\n{child.log_tail()}")
    raise RuntimeError("the service did not answer a probe in time")


class _Replies:
    def __init__(self, consumer: AIOKafkaConsumer, summary: Summary, dead_letter: str) -> None:
        self._consumer = consumer
        self._summary = summary
        self._dead_letter = dead_letter
        self._seen: dict[str, tuple[str, str]] = {}

    async def collect(
        self,
        expected: list[HostileRecord],
        child: Child,
        seconds: float = 120.0,
        *,
        counted: bool = True,
    ) -> bool:
        """Read replies until every record in `expected` has one or `seconds` pass."""
        waiting = {r.correlation_id: r for r in expected}
        deadline = time.monotonic() + seconds
        while waiting and time.monotonic() < deadline and not child.exited:
            batch = await self._consumer.getmany(timeout_ms=200)
            for record in (r for records in batch.values() for r in records):
                if record.topic == self._dead_letter:
                    self._summary.dead_letters += 1
                    continue
                headers = {
                    n: (v or b"").decode("utf-8", errors="replace") for n, v in record.headers
                }
                correlation = headers.get("X-Correlation-Id", "")
                self._seen[correlation] = (record.topic, headers.get("Status-Code", "?"))
            for correlation in [c for c in waiting if c in self._seen]:
                self._check(waiting.pop(correlation), counted)
        if counted:
            self._summary.unanswered += len(waiting)
            self._summary.wrong += [
                f"no reply: {r.kind} {r.correlation_id}" for r in list(waiting.values())[:5]
            ]
        return not waiting

    def _check(self, record: HostileRecord, counted: bool) -> None:
        topic, status = self._seen.pop(record.correlation_id)
        if not counted:
            return
        self._summary.statuses[status] += 1
        if not status.startswith("4") or topic != record.reply_topic:
            self._summary.wrong.append(
                f"{record.kind} {record.correlation_id}: {status} on {topic}, "
                f"wanted a 4xx on {record.reply_topic}"
            )
