"""The run's numbers: requests, resends, duplicates, latency, and per fault its gap and recovery."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaos.faults import FaultResult
from chaos.ledger import Ledger, SeenReply


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds from a request's first send to its final reply."""

    count: int
    p50: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, values: list[float]) -> Latency:
        return cls(
            len(values),
            percentile(values, 0.5),
            percentile(values, 0.99),
            max(values, default=None),
        )


@dataclass(frozen=True, slots=True)
class FaultFigures:
    """One fault as the report shows it."""

    kind: str
    target: str
    at: float
    """Seconds from the start of the workload."""
    recovery: float | None
    target_seconds: float | None
    target_from: str
    """`kill`, `restart`, or empty (the target counts from the recovery point)."""
    met: bool | None
    since_start: float | None
    """Seconds from the injection (the kill) to the first reply after it."""
    since_restored: float | None
    """Seconds from the restart (the server's return) to that reply; None if it came before."""
    outage: float | None
    """Seconds from the injection until the fault was lifted."""
    gap: float | None
    """Longest time without any reply arriving, from the injection to recovery."""
    exit_codes: list[int | None]
    notes: list[str]


@dataclass(frozen=True)
class Figures:
    requests: int
    by_kind: dict[str, int]
    records_sent: int
    resends: int
    send_failures: int
    replies: int
    duplicate_replies: int
    replies_503: int
    requests_503: int
    """Requests answered 503 at least once."""
    after_final_503: int
    replies_5xx: int
    """Replies with a 5xx other than 503 (500s)."""
    events: int
    unique_events: int
    duplicate_events: int
    latency: dict[str, Latency]
    statuses: dict[str, int]
    faults: list[FaultFigures] = field(default_factory=list)
    seconds: float = 0.0
    lag_at_end: dict[str, int | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_by_kind": self.by_kind,
            "records_sent": self.records_sent,
            "resends": self.resends,
            "send_failures": self.send_failures,
            "replies": self.replies,
            "duplicate_replies": self.duplicate_replies,
            "replies_503": self.replies_503,
            "requests_503": self.requests_503,
            "replies_503_after_a_final_answer": self.after_final_503,
            "replies_5xx_not_503": self.replies_5xx,
            "events": self.events,
            "unique_events": self.unique_events,
            "duplicate_events": self.duplicate_events,
            "final_statuses": self.statuses,
            "latency_seconds": {
                name: {"count": v.count, "p50": v.p50, "p99": v.p99, "max": v.max}
                for name, v in self.latency.items()
            },
            "faults": [
                {
                    "kind": f.kind,
                    "target": f.target,
                    "at_seconds": f.at,
                    "recovery_seconds": f.recovery,
                    "target_seconds": f.target_seconds,
                    "target_from": f.target_from,
                    "met": f.met,
                    "seconds_from_injection": f.since_start,
                    "seconds_from_restart": f.since_restored,
                    "outage_seconds": f.outage,
                    "reply_gap_seconds": f.gap,
                    "exit_codes": f.exit_codes,
                    "notes": f.notes,
                }
                for f in self.faults
            ],
            "lag_at_end": self.lag_at_end,
            "seconds": self.seconds,
        }


def longest_gap(replies: list[SeenReply], start: float, end: float) -> float:
    """The longest stretch of [start, end] in which no reply arrived."""
    moments = sorted(r.received for r in replies if start <= r.received <= end)
    edges = [start, *moments, end]
    return max(b - a for a, b in itertools.pairwise(edges))


def _fault(result: FaultResult, ledger: Ledger, began: float) -> FaultFigures:
    end = result.first_reply.received if result.first_reply else (result.restored or result.started)
    gap = longest_gap(ledger.replies, result.started, max(end, result.started))
    return FaultFigures(
        kind=str(result.kind),
        target=result.target,
        at=result.started - began,
        recovery=result.recovery,
        target_seconds=result.target_seconds,
        target_from=result.target_from,
        met=result.met,
        since_start=result.since_start,
        since_restored=result.since_restored,
        outage=result.outage,
        gap=gap,
        exit_codes=result.exit_codes,
        notes=result.notes,
    )


def compute(
    ledger: Ledger,
    faults: list[FaultResult],
    began: float,
    seconds: float,
    lag_at_end: dict[str, int | None],
) -> Figures:
    """The figures of a run whose workload began at wall time `began`."""
    requests = list(ledger.requests.values())
    by_kind = Counter(by_kind_name(r.kind) for r in requests)
    latency: dict[str, list[float]] = {"all": []}
    for r in requests:
        if r.latency is not None:
            latency["all"].append(r.latency)
            latency.setdefault(by_kind_name(r.kind), []).append(r.latency)
    after_final_503 = 0
    for replies in ledger.replies_by_correlation.values():
        finals = [i for i, r in enumerate(replies) if r.status != 503]
        if finals:
            after_final_503 += sum(1 for r in replies[finals[0] + 1 :] if r.status == 503)
    unique = {e.event_id for e in ledger.events}
    return Figures(
        requests=len(requests),
        by_kind=dict(sorted(by_kind.items())),
        records_sent=sum(len(r.sends) for r in requests),
        resends=ledger.resends,
        send_failures=ledger.send_failures,
        replies=len(ledger.replies),
        duplicate_replies=sum(len(v) - 1 for v in ledger.replies_by_correlation.values()),
        replies_503=sum(1 for r in ledger.replies if r.status == 503),
        requests_503=sum(
            any(r.status == 503 for r in replies)
            for replies in ledger.replies_by_correlation.values()
        ),
        after_final_503=after_final_503,
        replies_5xx=sum(1 for r in ledger.replies if r.status >= 500 and r.status != 503),
        events=len(ledger.events),
        unique_events=len(unique),
        duplicate_events=len(ledger.events) - len(unique),
        latency={name: Latency.of(values) for name, values in latency.items()},
        statuses=dict(
            sorted(Counter(str(r.final.status) for r in requests if r.final is not None).items())
        ),
        faults=[_fault(f, ledger, began) for f in faults],
        seconds=seconds,
        lag_at_end=lag_at_end,
    )


def by_kind_name(kind: str) -> str:
    """`patch 3` → `patch`, `malformed: …` → `malformed`."""
    return "malformed" if kind.startswith("malformed") else kind.split(maxsplit=1)[0]
