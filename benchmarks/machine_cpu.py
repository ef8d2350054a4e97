"""Where a phase's CPU went on this machine: the service, the broker, the store, the benchmark.

The ratios to the ceilings are bounded by the machine when everything shares its cores: a
phase's CPU milliseconds per request, split by process, say what each request cost whom. Read
from /proc: each process's own and reaped children's user+system time (PostgreSQL's backends
are children of its postmaster), and the machine's busy time from /proc/stat.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.proc import process_stat

GROUPS = ("service", "broker", "store", "bench", "other", "machine")
"""Columns of the split; `other` is the machine's busy time no group accounts for."""

_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal, in /proc/stat's cpu line


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _process_seconds(pid: int) -> tuple[str, float] | None:
    """The process's command line and CPU seconds (its own and its reaped children's)."""
    stat = process_stat(pid)
    cmdline = _read(f"/proc/{pid}/cmdline")
    if stat is None or cmdline is None:
        return None
    command = f"{stat.name} {cmdline.replace(chr(0), ' ')}"
    return command, stat.cpu_seconds(reaped_children=True)


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    text = _read("/proc/stat") or ""
    first = text.splitlines()[0].split()[1:] if text else []
    ticks = sum(int(first[i]) for i in _BUSY_FIELDS if i < len(first))
    return ticks / os.sysconf("SC_CLK_TCK")


def classify(command: str, pid: int, service_pid: int | None, bench_pids: set[int]) -> str | None:
    """The group a process belongs to (None: not one we follow)."""
    if pid == service_pid:
        return "service"
    if pid in bench_pids or "benchmarks" in command:
        return "bench"
    if "kafka.Kafka" in command:
        return "broker"
    if command.startswith(("ferretdb", "postgres")):
        return "store"
    return None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """CPU seconds by process (pid → group, seconds) and of the machine, at one moment."""

    processes: Mapping[int, tuple[str, float]]
    machine: float


def snapshot(service_pid: int | None) -> Snapshot:
    """Every followed process's CPU seconds now."""
    bench = {os.getpid()}
    processes: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        found = _process_seconds(int(entry))
        if found is None:
            continue
        group = classify(found[0], int(entry), service_pid, bench)
        if group is not None:
            processes[int(entry)] = (group, found[1])
    return Snapshot(processes, machine_busy_seconds())


def split(before: Snapshot, after: Snapshot, requests: int) -> dict[str, float]:
    """CPU milliseconds per request by group between two snapshots.

    A process that started in between counts whole; one that ended in between is lost, except
    what its parent reaped (PostgreSQL's backends); FerretDB's pooled connections keep theirs.
    """
    used = dict.fromkeys(GROUPS, 0.0)
    for pid, (group, seconds) in after.processes.items():
        earlier = before.processes.get(pid)
        used[group] += seconds - (earlier[1] if earlier else 0.0)
    used["machine"] = after.machine - before.machine
    used["other"] = max(
        0.0, used["machine"] - sum(used[g] for g in GROUPS if g not in ("other", "machine"))
    )
    return {group: seconds * 1000 / max(requests, 1) for group, seconds in used.items()}


class CpuSplits:
    """Records the split of each named phase, in the order measured (a name again replaces,
    unless the block adds up)."""

    def __init__(self) -> None:
        self.service_pid: int | None = None
        """The process counted as `service`: the service, or the plain peer while it serves."""
        self.phases: dict[str, dict[str, float]] = {}
        self._sums: dict[str, tuple[dict[str, float], int]] = {}

    @contextlib.contextmanager
    def phase(self, name: str, requests: int, *, add_up: bool = False) -> Iterator[None]:
        """Measure the block as phase `name` of `requests` requests; with `add_up`, the phase is
        every block of that name together (runs of one phase taken in turns)."""
        before = snapshot(self.service_pid)
        yield
        found = split(before, snapshot(self.service_pid), requests)
        if not add_up:
            self.phases[name] = found
            return
        spent, counted = self._sums.get(name, (dict.fromkeys(GROUPS, 0.0), 0))
        spent = {group: spent[group] + found[group] * requests for group in GROUPS}
        counted += requests
        self._sums[name] = (spent, counted)
        self.phases[name] = {group: spent[group] / max(counted, 1) for group in GROUPS}
