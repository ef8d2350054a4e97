"""The report: a readable table on stdout and the same content as JSON; with both membership
modes, each mode's report and then the two side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos.figures import FaultFigures, Figures, Latency
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
                "membership": str(self.scenario.membership),
                "session_timeout_seconds": self.scenario.session_timeout,
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
            f"customer-async chaos run ({'small' if s.small else 'full'}, {s.membership} "
            f"membership): {s.customers} customers, {s.in_flight} in flight, resend after "
            f"{s.resend_after:.0f} s, session timeout {s.session_timeout:.0f} s, seed {s.seed}; "
            f"{f.seconds:.1f} s",
            "",
            f"Requests {f.requests} ({_pairs(f.by_kind)}); records sent {f.records_sent}, "
            f"resends {f.resends}, failed sends retried {f.send_failures}",
            f"Replies {f.replies}: duplicates {f.duplicate_replies}, 503s {f.replies_503} "
            f"(to {f.requests_503} requests; after a final answer: {f.after_final_503}), "
            f"other 5xx {f.replies_5xx}; final statuses {_pairs(f.statuses)}",
            f"Events {f.events}: distinct eventIds {f.unique_events}, duplicate copies "
            f"{f.duplicate_events}",
            "",
            f"{'Latency (s)':<14}{'count':>7}{'p50':>9}{'p99':>9}{'max':>9}",
            *(_latency_row(name, v) for name, v in f.latency.items()),
            "",
            f"{'Fault':<34}{'target':<12}{'at s':>7}{'down s':>8}{'recovery s':>12}"
            f"{'gap s':>8}  exits",
            *(self._fault_rows()),
            "",
            *self._failover_rows(),
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
            exits = ",".join(str(c) for c in fault.exit_codes)
            rows.append(
                f"{fault.kind:<34}{fault.target:<12}{fault.at:>7.1f}{_seconds(fault.outage):>8}"
                f"{_seconds(fault.recovery):>12}{_seconds(fault.gap):>8}  {exits}"
            )
            rows += [f"    {note}" for note in fault.notes]
        return rows

    def _failover_rows(self) -> list[str]:
        kills = failovers(self.figures)
        if not kills:
            return []
        return [
            "Fail-over per SIGKILL: s from the kill / from the restart to the first reply on a "
            "partition the killed instance owned",
            *(f"  {_failover_name(k):<44}{failover_text(k)}" for k in kills),
            "",
        ]

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


def failovers(figures: Figures) -> list[FaultFigures]:
    """The faults that SIGKILLed an instance (the ones with a fail-over target)."""
    return [f for f in figures.faults if f.target_from in ("kill", "restart")]


def failover_text(fault: FaultFigures) -> str:
    """`12.31 / 10.20  ≤ 15 s from kill: met`."""
    goal = f"≤ {fault.target_seconds:.0f} s from {fault.target_from}"
    verdict = {True: "met", False: "MISSED", None: "-"}[fault.met]
    return f"{_seconds(fault.since_start)} / {_seconds(fault.since_restored)}  {goal}: {verdict}"


def _failover_name(fault: FaultFigures) -> str:
    return f"{fault.kind}, {fault.target} at {fault.at:.1f} s"


@dataclass(frozen=True)
class ModesReport:
    """The runs of one invocation, one per membership mode, in the order they ran."""

    reports: list[Report]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "membership": [str(r.scenario.membership) for r in self.reports],
            "modes": {str(r.scenario.membership): r.as_json() for r in self.reports},
        }

    def text(self) -> str:
        texts = [r.text() for r in self.reports]
        if len(self.reports) > 1:
            texts.append("\n".join(self._side_by_side()))
        return "\n\n".join(texts)

    def _side_by_side(self) -> list[str]:
        modes = [str(r.scenario.membership) for r in self.reports]
        figures = [r.figures for r in self.reports]
        width = 40

        def row(label: str, cells: list[str]) -> str:
            return f"{label:<44}" + "".join(f"{c:<{width}}" for c in cells).rstrip()

        lines = [
            row("Membership modes side by side", modes),
            row("seconds", [f"{f.seconds:.1f}" for f in figures]),
            row("requests / resends", [f"{f.requests} / {f.resends}" for f in figures]),
            row(
                "503s: replies (requests; after a final)",
                [f"{f.replies_503} ({f.requests_503}; {f.after_final_503})" for f in figures],
            ),
            row("5xx other than 503", [str(f.replies_5xx) for f in figures]),
            row(
                "latency all p50 / p99 / max (s)",
                [
                    " / ".join(_seconds(v) for v in (lat.p50, lat.p99, lat.max))
                    for lat in (f.latency.get("all", Latency.of([])) for f in figures)
                ],
            ),
            row(
                "invariants failed",
                [f"{sum(not c.ok for c in r.checks)} of {len(r.checks)}" for r in self.reports],
            ),
            "",
            "Fail-over per SIGKILL: s from the kill / from the restart to the first reply on a "
            "partition the killed instance owned; target",
        ]
        kills = [failovers(f) for f in figures]
        for index in range(max(len(k) for k in kills)):
            first = next(k[index] for k in kills if index < len(k))
            cells = [failover_text(k[index]) if index < len(k) else "-" for k in kills]
            lines.append(row(f"  {first.kind}, {first.target}", cells))
        lines += ["", "  " + "".join(f"{m:<9}" for m in modes) + "invariant"]
        names = list(dict.fromkeys(c.name for r in self.reports for c in r.checks))
        for name in names:
            verdicts = []
            for r in self.reports:
                check = next((c for c in r.checks if c.name == name), None)
                verdicts.append("-" if check is None else "pass" if check.ok else "FAIL")
            lines.append("  " + "".join(f"{v:<9}" for v in verdicts) + name)
        lines.append("OK" if self.ok else "FAILED")
        return lines
