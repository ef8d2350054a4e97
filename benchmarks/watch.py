"""What the run watches beside a stretch of phases: peak memory, and store trouble in the log.

The service's and the store's resident memory is sampled from /proc while the stretch lasts (the
store's own high-water mark covers its whole life, so only sampling says what one stretch
needed); the store is the FerretDB process listening on the store URI's port, when it runs on
this machine. The service's log, from where it stood when the stretch began, is searched for
the lines that say the store fell behind: background work that failed (the outbox sweep, or
writing the ledger: "… failed, will try again") and a store command that ran out of time ("… did
not answer …"). The service writes a
repeated line once and then "(repeated N times …)", which counts N.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

from harness.proc import CURRENT, MemoryReadError, resident_kib

SAMPLE_SECONDS = 0.25
BACKGROUND_FAILED = re.compile(r"(outbox sweep|writing the ledger) failed")
STORE_TIMEOUT = re.compile(r"did not answer")
_REPEATED = re.compile(r"\(repeated (\d+) times")


@dataclass(frozen=True, slots=True)
class WatchedStretch:
    """One stretch of phases: the peaks sampled, and the store trouble the service logged."""

    name: str
    seconds: float
    service_peak_kib: int | None
    store_peak_kib: int | None
    """None when the store process is not on this machine (or could not be read)."""
    background_failures: int
    store_timeouts: int


@dataclass(frozen=True, slots=True)
class StoreProcess:
    """The store's server process on this machine."""

    pid: int
    name: str


def store_process(mongodb_uri: str) -> StoreProcess | None:
    """The FerretDB process listening on the store URI's port, if one runs here."""
    try:
        port = parse_uri(mongodb_uri)["nodelist"][0][1]
    except (PyMongoError, IndexError):
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        program = Path(arguments[0].decode(errors="replace")).name
        listens = any(a.decode(errors="replace").endswith(f":{port}") for a in arguments[1:])
        if program.startswith("ferretdb") and listens:
            return StoreProcess(int(entry.name), "FerretDB")
    return None


def count_lines(text: str, pattern: re.Pattern[str]) -> int:
    """Log lines matching `pattern`; a "(repeated N times …)" summary counts N."""
    found = 0
    for line in text.splitlines():
        if pattern.search(line):
            repeated = _REPEATED.search(line)
            found += int(repeated.group(1)) if repeated else 1
    return found


class Watcher:
    """Watches stretches of the run, one at a time, in the order they come."""

    def __init__(self, service_pid: int, store: StoreProcess | None, log_path: Path) -> None:
        self._service_pid = service_pid
        self._store = store
        self._log_path = log_path
        self.stretches: list[WatchedStretch] = []

    @contextlib.asynccontextmanager
    async def stretch(self, name: str) -> AsyncIterator[None]:
        """Watch the block as the stretch `name`."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        log_from = self._log_size()
        peaks: dict[int, int] = {}
        sampling = asyncio.create_task(self._sample(peaks))
        try:
            yield
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
        self._sample_once(peaks)
        logged = self._log_since(log_from)
        self.stretches.append(
            WatchedStretch(
                name,
                loop.time() - started,
                peaks.get(self._service_pid),
                None if self._store is None else peaks.get(self._store.pid),
                count_lines(logged, BACKGROUND_FAILED),
                count_lines(logged, STORE_TIMEOUT),
            )
        )

    async def _sample(self, peaks: dict[int, int]) -> None:
        while True:
            self._sample_once(peaks)
            await asyncio.sleep(SAMPLE_SECONDS)

    def _sample_once(self, peaks: dict[int, int]) -> None:
        pids = [self._service_pid] + ([] if self._store is None else [self._store.pid])
        for pid in pids:
            with contextlib.suppress(MemoryReadError):
                peaks[pid] = max(peaks.get(pid, 0), resident_kib(pid, CURRENT))

    def _log_size(self) -> int:
        try:
            return self._log_path.stat().st_size
        except OSError:
            return 0

    def _log_since(self, offset: int) -> str:
        try:
            with self._log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""
