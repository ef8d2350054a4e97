"""Open loop: latency at a fixed offered load, in steps of the operation's closed-loop maximum.

The closed-loop phases (a window of requests in flight) find the most an operation sustains; they
cannot say how fast it answers below that, which is what a deployment is sized by. Here each
step offers `fraction x maximum` requests per second for a bounded time, whatever the replies
do, then offers the Kafka echo exactly the same rate, so every step has the service's and the
echo's p50/p95/p99 at one offered load. Latencies count from each request's scheduled send time
(see driver.py), and the sender's worst lag behind its schedule is reported beside them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.driver import Driver
from benchmarks.phase import Call, run_open_phase
from benchmarks.progress import Progress
from benchmarks.ratios import ratio
from benchmarks.stats import Measurement

LOAD_FRACTIONS = (0.10, 0.25, 0.50, 0.75, 1.00)
QUICK_LOAD_FRACTIONS = (0.25, 0.50, 1.00)
TARGET_FRACTION = 0.50
"""The step whose p99 the target compares with the echo's."""

_MIN_STEP_REQUESTS = 10
_REPLY_GRACE_SECONDS = 15.0
"""After a step's last scheduled send, how long its replies may still take."""
_PAUSE_SECONDS = 0.25
"""Between steps: the previous step's bookkeeping settles before the next one starts."""

Calls = Callable[[int], list[Call]]
"""Makes that many calls of one kind (the service operation's, or the echo's)."""


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """Which steps to offer, and for how long each."""

    fractions: tuple[float, ...] = LOAD_FRACTIONS
    seconds: float = 8.0
    max_requests: int = 5_000


@dataclass(frozen=True, slots=True)
class LoadStep:
    """One offered load: the service and the echo at the same rate."""

    fraction: float
    offered_rate: float
    service: Measurement
    echo: Measurement
    service_send_lag_ms: float
    echo_send_lag_ms: float
    p99_vs_echo: float


@dataclass(frozen=True, slots=True)
class OpenLoopReport:
    """An operation's steps of offered load, lowest first."""

    operation: str
    max_rate: float
    """The closed-loop rate of this run's phase for the operation: 100 % of offered load."""
    steps: list[LoadStep]

    def step_at(self, fraction: float) -> LoadStep | None:
        """The step at `fraction` of the maximum, if it was run."""
        return next((s for s in self.steps if math.isclose(s.fraction, fraction)), None)


def step_requests(rate: float, plan: LoadPlan) -> int:
    """How many requests a step at `rate` sends: `plan.seconds` worth, within bounds."""
    return max(_MIN_STEP_REQUESTS, min(plan.max_requests, round(rate * plan.seconds)))


async def measure_open_loop(
    operation: str,
    max_rate: float,
    plan: LoadPlan,
    *,
    service: tuple[Driver, Calls],
    echo: tuple[Driver, Calls],
    deadline: float,
    progress: Progress,
) -> OpenLoopReport:
    """Each step of `plan`: the service operation, then the echo, at the same offered rate."""
    steps: list[LoadStep] = []
    loop = asyncio.get_running_loop()
    for fraction in sorted(plan.fractions):
        rate = fraction * max_rate
        if rate <= 0 or loop.time() >= deadline:
            break
        count = step_requests(rate, plan)
        measured: list[tuple[Measurement, float]] = []
        for who, (driver, calls) in ((operation, service), ("echo", echo)):
            name = f"{who} open loop {fraction:.0%}"
            progress.note(f"{name}: {count} requests at {rate:.1f}/s")
            reply_deadline = min(deadline, loop.time() + count / rate + _REPLY_GRACE_SECONDS)
            with progress.bar(name, count) as done:
                measured.append(
                    await run_open_phase(
                        name, calls(count), driver, rate=rate, deadline=reply_deadline, on_done=done
                    )
                )
            await asyncio.sleep(_PAUSE_SECONDS)
        (service_result, service_lag), (echo_result, echo_lag) = measured
        steps.append(
            LoadStep(
                fraction=fraction,
                offered_rate=rate,
                service=service_result,
                echo=echo_result,
                service_send_lag_ms=service_lag * 1000,
                echo_send_lag_ms=echo_lag * 1000,
                p99_vs_echo=ratio(service_result.p99_ms, echo_result.p99_ms),
            )
        )
    return OpenLoopReport(operation, max_rate, steps)
