"""The report: a readable table on stdout and the same content as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos.figures import Figures, Latency
from chaos.invariants import Check
from chaos.scenario import Scenario


@dataclass(frozen=True)
class Report:
    """A finished run: what it was, its figures and its invariants."""

    scenario: Scenario
    figures: Figures
    checks: list[Check]
    log_dir: str

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "scenario": {
                "customers": self.scenario.customers,
                "small": self.scenario.small,
                "seed": self.scenario.seed,
                "in_flight": self.scenario.in_flight,
                "delete_share": self.scenario.delete_share,
                "resend_after_seconds": self.scenario.resend_after,
                "timeout_seconds": self.scenario.timeout,
            },
            "figures": self.figures.as_json(),
            "invariants": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "failures": c.failures}
                for c in self.checks
            ],
            "log_dir": self.log_dir,
        }

    def text(self) -> str:
        f = self.figures
        s = self.scenario
        lines = [
            f"customer-async chaos run ({'small' if s.small else 'full'}): {s.customers} "
            f"customers, {s.in_flight} in flight, resend after {s.resend_after:.0f} s, "
            f"seed {s.seed}; {f.seconds:.1f} s",
            "",
            f"Requests {f.requests} ({_pairs(f.by_kind)}); records sent {f.records_sent}, "
            f"resends {f.resends}, failed sends retried {f.send_failures}",
            f"Replies {f.replies}: duplicates {f.duplicate_replies}, 503s {f.replies_503} "
            f"(after a final answer: {f.after_final_503}); final statuses {_pairs(f.statuses)}",
            f"Events {f.events}: distinct eventIds {f.unique_events}, duplicate copies "
            f"{f.duplicate_events}",
            "",
            f"{'Latency (s)':<14}{'count':>7}{'p50':>9}{'p99':>9}{'max':>9}",
            *(_latency_row(name, v) for name, v in f.latency.items()),
            "",
            f"{'Fault':<34}{'target':<12}{'at s':>7}{'recovery s':>12}{'goal':>7}"
            f"{'':>6}{'gap s':>8}  exits",
            *(self._fault_rows()),
            "",
            f"Consumer lag at the end: {_pairs(f.lag_at_end)}",
            "",
            "Invariants",
            *(self._check_rows()),
            "",
            f"Logs: {self.log_dir} (instance-*.log; ledger.jsonl: every request, reply and event)",
            "OK" if self.ok else "FAILED",
        ]
        return "\n".join(lines)

    def _fault_rows(self) -> list[str]:
        rows = []
        for fault in self.figures.faults:
            goal = f"≤ {fault.target_seconds:.0f}" if fault.target_seconds is not None else ""
            verdict = {True: "pass", False: "MISS", None: ""}[fault.met]
            exits = ",".join(str(c) for c in fault.exit_codes)
            rows.append(
                f"{fault.kind:<34}{fault.target:<12}{fault.at:>7.1f}{_seconds(fault.recovery):>12}"
                f"{goal:>7}{verdict:>6}{_seconds(fault.gap):>8}  {exits}"
            )
            rows += [f"    {note}" for note in fault.notes]
        return rows

    def _check_rows(self) -> list[str]:
        rows = []
        for check in self.checks:
            rows.append(f"  {'pass' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
            rows += [f"          {failure}" for failure in check.failures]
        return rows


def _latency_row(name: str, latency: Latency) -> str:
    return (
        f"{name:<14}{latency.count:>7}{_seconds(latency.p50):>9}{_seconds(latency.p99):>9}"
        f"{_seconds(latency.max):>9}"
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items()) or "-"
