"""One measured phase summed up: replies by status, rate, and latency percentiles.

Percentiles come from the standard library's `statistics.quantiles` (inclusive method), which
is exact for the few thousand samples a run takes; no histogram library is needed at this size.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MISSING = "missing"
"""The status of a request that got no reply (or no result) before the deadline."""

_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one request: its status, whether it was right, and when."""

    status: str
    ok: bool
    started: float
    finished: float | None = None
    problem: str | None = None

    @property
    def latency(self) -> float | None:
        """Seconds from sending to the answer; None when there was none."""
        return None if self.finished is None else self.finished - self.started


@dataclass(frozen=True, slots=True)
class Measurement:
    """A phase of `requests` requests: how many were right, how fast, and what went wrong."""

    name: str
    requests: int
    ok: int
    statuses: dict[str, int]
    problems: list[str]
    seconds: float
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    unsent: int = 0
    """Requests of the phase never sent: its time budget was spent before their turn."""

    @property
    def all_ok(self) -> bool:
        """Every request got the expected answer."""
        return self.ok == self.requests and not self.problems


def percentiles_ms(latencies: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds (NaN for no samples, the sample itself for one)."""
    if not latencies:
        return math.nan, math.nan, math.nan
    if len(latencies) == 1:
        only = latencies[0] * 1000
        return only, only, only
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def summarise(name: str, outcomes: Sequence[Outcome], unsent: int = 0) -> Measurement:
    """The measurement of a phase from its requests' outcomes.

    The rate counts right answers per second of the phase's span: from the first request sent
    to the last answer received. Latency percentiles are over the right answers only.
    """
    statuses = Counter(outcome.status for outcome in outcomes)
    right = [o for o in outcomes if o.ok and o.finished is not None]
    latencies = [latency for o in right if (latency := o.latency) is not None]
    seconds = 0.0
    if right:
        seconds = max(o.finished or 0.0 for o in right) - min(o.started for o in outcomes)
    problems = Counter(o.problem for o in outcomes if o.problem is not None)
    examples = [f"{name}: {text} (x{count})" for text, count in problems.most_common(_EXAMPLES)]
    p50, p95, p99 = percentiles_ms(latencies)
    return Measurement(
        name=name,
        requests=len(outcomes),
        ok=len(right),
        statuses=dict(sorted(statuses.items())),
        problems=examples,
        seconds=seconds,
        rate=len(right) / seconds if seconds > 0 else 0.0,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        unsent=unsent,
    )
