"""Sustained creates: many creates at the most the service takes, then the outbox drained.

A short closed-loop phase says how fast a create is answered; it does not say whether the work
the service does after replying (recording what it published, its background sweep) keeps up.
Here `count` creates are sent either in closed loop (`window` in flight: the most the service
takes) or in open loop at a fixed `rate`, while the service's
`customer_async_outbox_unpublished_writes` gauge is read from its operations port every quarter
second; after the last reply the gauge is watched until it reads 0 twice in a row (at most
`DRAIN_WATCH_SECONDS`). The phase starts on a published outbox (what earlier phases left is
waited out first). The report gives the rate reached, the peak backlog and the seconds from the
last reply to the drained outbox.

Neither the requests nor their answers are kept (100,000 replies of a few kilobytes each would
weigh on the driver): each answer is judged as it comes and only its outcome stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from benchmarks.driver import Answer, Done, Driver, NoAnswer
from benchmarks.phase import Call, judge, quiet_heap
from benchmarks.progress import Progress
from benchmarks.stats import Measurement, Outcome, summarise
from harness.operations_port import POLL_SECONDS, UNPUBLISHED_GAUGE, ZEROS_TO_DRAIN, read_gauge

SUSTAINED_CREATES = 100_000
QUICK_SUSTAINED_CREATES = 1_000
DRAIN_WATCH_SECONDS = 300.0
"""How long after the last reply the outbox is watched before it counts as not drained."""


@dataclass(frozen=True, slots=True)
class SustainedReport:
    """The sustained creates, and the outbox behind them."""

    measurement: Measurement
    window: int | None
    """Creates in flight at most (closed loop), or None (open loop at `offered_rate`)."""
    offered_rate: float | None
    send_lag_ms: float
    """Open loop: how far the sender fell behind its schedule at worst."""
    peak_backlog: int | None
    """The gauge's highest reading (None: the operations port never answered)."""
    drain_seconds: float | None
    """From the last reply to the first of two readings of 0 (None: not drained)."""
    backlog_left: int | None
    """The last reading when the watch ended."""
    watched_seconds: float
    """How long the outbox was watched after the last reply."""
    readings: int


class _Backlog:
    """The gauge's readings: the peak, the latest, and when it read 0 twice in a row."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.peak: int | None = None
        self.latest: int | None = None
        self.readings = 0
        self.watching_drain = False
        """Set after the last reply: only then do readings of 0 mean drained."""
        self.drained = asyncio.Event()
        self.drained_at: float | None = None
        self._zeros: list[float] = []

    async def poll(self) -> None:
        """Read the gauge every `POLL_SECONDS` until cancelled."""
        while True:
            value = await read_gauge(self._port, UNPUBLISHED_GAUGE)
            if value is not None:
                self._reading(int(value), time.perf_counter())
            await asyncio.sleep(POLL_SECONDS)

    def _reading(self, value: int, at: float) -> None:
        self.readings += 1
        self.latest = value
        self.peak = max(self.peak or 0, value)
        if value or not self.watching_drain:
            self._zeros = []
            return
        self._zeros.append(at)
        if len(self._zeros) >= ZEROS_TO_DRAIN and not self.drained.is_set():
            self.drained_at = self._zeros[0]
            self.drained.set()


async def measure_sustained(
    call: Call,
    *,
    count: int,
    driver: Driver,
    metrics_port: int,
    window: int,
    rate: float | None,
    deadline: float,
    progress: Progress,
) -> SustainedReport:
    """`count` of `call` (a create) in closed loop at `window`, or open loop at `rate`; then
    the outbox watched until drained."""
    mode = f"open loop at {rate:g}/s" if rate else f"closed loop, {window} in flight"
    progress.note(f"sustained: {count} creates, {mode}, then the outbox until it drains")
    backlog = _Backlog(metrics_port)
    polling = asyncio.create_task(backlog.poll())
    lag = 0.0
    try:
        quiet_heap()
        with progress.bar("sustained creates", count) as done:
            creates = _Creates(call, driver, deadline, done)
            if rate:
                lag = await creates.at_rate(count, rate)
            else:
                await creates.in_window(count, window)
        backlog.watching_drain = True
        outcomes = creates.outcomes
        last_reply = max((o.finished or 0.0 for o in outcomes), default=time.perf_counter())
        measurement = summarise("sustained create", outcomes, unsent=count - len(outcomes))
        progress.note(
            f"sustained: {measurement.ok} of {count} right at {measurement.rate:.1f}/s; "
            "watching the outbox drain"
        )
        loop = asyncio.get_running_loop()
        watch = max(0.0, min(deadline - loop.time(), DRAIN_WATCH_SECONDS))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(backlog.drained.wait(), watch)
    finally:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
    drained = backlog.drained_at
    return SustainedReport(
        measurement=measurement,
        window=None if rate else window,
        offered_rate=rate,
        send_lag_ms=lag * 1000,
        peak_backlog=backlog.peak,
        drain_seconds=None if drained is None else max(0.0, drained - last_reply),
        backlog_left=backlog.latest,
        watched_seconds=time.perf_counter() - last_reply,
        readings=backlog.readings,
    )


class _Creates:
    """Sends one create over and over, keeping each answer's outcome only."""

    def __init__(self, call: Call, driver: Driver, deadline: float, done: Done) -> None:
        self._call = call
        self._driver = driver
        self._deadline = deadline
        self._done = done
        self.outcomes: list[Outcome] = []

    async def _trip(self, sent: float | None = None) -> None:
        answer: Answer | NoAnswer = await self._driver.round_trip(
            self._call.request, self._deadline, self._done, sent=sent
        )
        self.outcomes.append(judge(self._call, answer))

    async def in_window(self, count: int, window: int) -> None:
        """`window` senders take the next create in turn until `count` are answered."""
        turns = iter(range(count))

        async def sender() -> None:
            for _ in turns:  # shared: each turn goes to one sender
                await self._trip()

        await asyncio.gather(*(sender() for _ in range(min(window, count))))

    async def at_rate(self, count: int, rate: float) -> float:
        """Create `i` at `i / rate` seconds from now whatever the replies (until the deadline);
        how many seconds the sender fell behind its schedule at worst."""
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        lag = 0.0
        trips: set[asyncio.Task[None]] = set()
        for index in range(count):
            if loop.time() >= self._deadline:
                break
            due = start + index / rate
            ahead = due - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
            lag = max(lag, time.perf_counter() - due)
            task = asyncio.create_task(self._trip(due))
            trips.add(task)
            task.add_done_callback(trips.discard)
        if trips:
            await asyncio.gather(*trips)
        return lag
