"""Scale: retrieve, patch and a filtered list page with few and with many customers stored.

For each size (by default 1,000 and 100,000) the service's customer collection is filled to that
many customers, bulk-loaded straight into the store with `insert_many` in batches, in the shape
the service stores (stored_customers.py) with spread names, statuses and parties (spread.py),
not through Kafka: loading 100,000 through the service would take longer than the measuring and
measure the wrong thing. There the list kinds run first, when chosen (list_kinds.py); then, when
the scale phases are chosen, the same phases run at each size: retrieves of customers drawn at
random from all stored and merge patches of customers not patched before (both with
`SCALE_WINDOW` in flight), and list pages filtered on an engaged party that exactly
`PARTY_CUSTOMERS` customers have at every size (so a page's result is the same and only the data
around it grows), sent one at a time. Beside them, raw `find_one` by `_id` at
the same size says how much of any growth is the store's own. A store that scans a collection to
find a customer answers in seconds to minutes at 100,000, so every phase also stops sending after
`phase_seconds`, says how many it did not send, and waits at most `REPLY_GRACE_SECONDS` more for
replies. The report's figure is each latency at the largest size over the smallest.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from benchmarks.driver import UNSENT, Answer, Done, Driver
from benchmarks.errors import BenchmarkError
from benchmarks.list_kinds import ListReport, measure_list_kinds
from benchmarks.phase import run_timed_phase
from benchmarks.progress import Progress
from benchmarks.ratios import ratio
from benchmarks.spread import PARTY_CUSTOMERS, PARTY_ID, StoredSpread, spread_attributes
from benchmarks.stats import Measurement
from benchmarks.store_ceiling import time_finds
from benchmarks.stored_customers import CUSTOMER_COLLECTION, StoredCustomers
from benchmarks.workload import CustomerWorkload
from customer_async.query.shadow import DIGITS, bucket_path

SCALE_SIZES = (1_000, 100_000)
QUICK_SCALE_SIZES = (200, 1_000)
MIN_SCALE_SIZE = 100
PAGE_SIZE = 10
LIST_REQUESTS = 5
PHASE_SECONDS = 120.0
"""A scale phase stops sending after this long. Where the store scans the collection for a
query (FerretDB v1 on SQLite does, even by `_id`), a list page with 100,000 stored takes about a
minute and a retrieve a few tenths of a second."""
QUICK_PHASE_SECONDS = 5.0
REPLY_GRACE_SECONDS = 60.0
"""After a phase stops sending, how long its last requests may still take to be answered."""
SCALE_WINDOW = 8
"""Requests in flight in the scale phases, at every size: few enough that latency is the
request's own and not a queue's, and that a store scanning for each query is not buried."""
_AFTER_LOAD_SECONDS = 1.0
"""A pause after loading, so the store's own after-write work does not land in the first phase."""
BATCH = 2_000
"""Documents per insert_many: big enough to load 100,000 in about a minute on FerretDB, small
enough that one batch is a few megabytes."""
OPERATIONS = ("retrieve", "patch", "list")
PATCHED = 200
"""The status of a merge patch that was applied."""
STORE_FIND = "store find_one"
"""The raw store's find_one by `_id` at the same size: the store's own share of any growth."""

Stored = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScalePoint:
    """The phases measured with `stored` customers in the store."""

    stored: int
    load_seconds: float
    """How long bulk loading up to this size took (from the previous size)."""
    measurements: dict[str, Measurement]
    """By operation: retrieve, patch, list, and the raw `STORE_FIND`."""


@dataclass(frozen=True, slots=True)
class ScaleReport:
    """Each size's phases, smallest first."""

    points: list[ScalePoint]

    def latency_ratio(self, operation: str, percentile: str = "p50_ms") -> float:
        """`operation`'s latency percentile at the largest size over that at the smallest."""
        if len(self.points) < 2:
            return float("nan")
        first, last = self.points[0].measurements, self.points[-1].measurements
        return ratio(getattr(last[operation], percentile), getattr(first[operation], percentile))

    def ratios(self) -> dict[str, float]:
        """p50 and p99 ratios of every operation, by name."""
        if len(self.points) < 2:
            return {}
        span = f"{self.points[-1].stored}/{self.points[0].stored}"
        return {
            f"{operation} {label} {span} stored": self.latency_ratio(operation, field)
            for operation in (*OPERATIONS, STORE_FIND)
            for label, field in (("p50", "p50_ms"), ("p99", "p99_ms"))
        }


class CustomerLoader:
    """Fills the service's customer collection directly, in the stored shape."""

    def __init__(self, mongodb_uri: str, database: str, documents: StoredCustomers) -> None:
        self._client: AsyncMongoClient[Stored] = AsyncMongoClient(
            mongodb_uri, serverSelectionTimeoutMS=10_000
        )
        self._customers = self._client[database][CUSTOMER_COLLECTION]
        self._documents = documents
        self._party_template: dict[str, Any] = documents.document(PARTY_ID)["engagedParty"]
        self._acknowledged = 0
        self.ids: list[str] = []
        """The loaded customers' ids, in loading order; the first `PARTY_CUSTOMERS` have the
        filtered list's engaged party."""
        self.spread = StoredSpread()
        """Each loaded customer's name, status and party (spread.py)."""

    async def clear(self) -> None:
        """Remove every customer (earlier phases' leftovers) and check none is left, so from
        here the customers stored are exactly the ones loaded (counted while still few: a
        store that scans to count would take minutes at 100,000)."""
        try:
            # A bucket at a time: FerretDB deletes what one command matched in one PostgreSQL
            # statement with a parameter per document, at most 65,535 (100,000 creates before).
            for bucket in itertools.product(DIGITS, repeat=2):
                await self._customers.delete_many({bucket_path(2): "".join(bucket)})
            await self._customers.delete_many({})  # any customer stored without its shadow
            left = await self._customers.count_documents({})
        except PyMongoError as exc:
            raise BenchmarkError(f"could not clear the customers before scaling: {exc}") from exc
        if left:
            raise BenchmarkError(f"{left} customers are still stored after clearing")
        self.ids = []
        self.spread.clear()
        self._acknowledged = 0

    async def grow_to(self, size: int, deadline: float, done: Done) -> int:
        """Load customers until `size` are stored; how many the store acknowledged in all."""
        loop = asyncio.get_running_loop()
        try:
            while len(self.ids) < size:
                if loop.time() >= deadline:
                    raise BenchmarkError(f"bulk loading stopped at {len(self.ids)} of {size}")
                batch = list(self._new_documents(min(BATCH, size - len(self.ids))))
                result = await self._customers.insert_many(batch, ordered=False)
                self._acknowledged += len(result.inserted_ids)
                for _ in batch:
                    done()
        except PyMongoError as exc:
            raise BenchmarkError(f"bulk loading failed: {exc}") from exc
        return self._acknowledged

    def _new_documents(self, count: int) -> Iterator[Stored]:
        for _ in range(count):
            customer_id = str(uuid.uuid4())
            party = PARTY_ID if len(self.ids) < PARTY_CUSTOMERS else None
            spread = self.spread.draw(customer_id, party)
            attributes = spread_attributes(spread, self._party_template)
            yield self._documents.document(customer_id, **attributes)
            self.ids.append(customer_id)

    async def timed_finds(
        self,
        ids: list[str],
        *,
        window: int,
        send_until: float,
        deadline: float,
        on_done: Done,
    ) -> Measurement:
        """Raw `find_one` by `_id` of each id, at most `window` at once, sent until `send_until`."""
        name = f"store find_one with {len(self.ids)} stored"
        return await time_finds(
            self._customers,
            ids,
            name,
            window=window,
            send_until=send_until,
            deadline=deadline,
            on_done=on_done,
        )

    async def close(self) -> None:
        """Disconnect."""
        await self._client.close()


async def measure_scale(
    sizes: tuple[int, ...],
    *,
    loader: CustomerLoader,
    driver: Driver,
    workload: CustomerWorkload,
    requests: int,
    phase_seconds: float = PHASE_SECONDS,
    deadline: float,
    progress: Progress,
    scale_phases: bool = True,
    list_requests: int | None = None,
) -> tuple[ScaleReport | None, ListReport | None]:
    """Grow the store to each size in turn; there, the pages of each list kind (with
    `list_requests`, list_kinds.py) and then retrieve, patch and list (with `scale_phases`)."""
    rng = random.Random(629)  # the same draw every run, so runs compare
    patched: set[str] = set()
    points = []
    list_points = []
    await loader.clear()
    for size in sorted(sizes):
        load_seconds = await _grow(loader, size, deadline, progress)
        if list_requests:
            list_points.append(
                await measure_list_kinds(
                    size,
                    spread=loader.spread,
                    driver=driver,
                    workload=workload,
                    requests=list_requests,
                    phase_seconds=phase_seconds,
                    deadline=deadline,
                    progress=progress,
                )
            )
        if scale_phases:
            measurements = await _measure_at(
                size,
                loader=loader,
                driver=driver,
                workload=workload,
                requests=requests,
                phase_seconds=phase_seconds,
                deadline=deadline,
                progress=progress,
                rng=rng,
                patched=patched,
            )
            points.append(ScalePoint(size, load_seconds, measurements))
    return (
        ScaleReport(points) if scale_phases else None,
        ListReport(list_points) if list_requests else None,
    )


async def _grow(loader: CustomerLoader, size: int, deadline: float, progress: Progress) -> float:
    """Bulk-load until `size` customers are stored; how many seconds it took."""
    progress.note(f"scale: bulk loading up to {size} customers (insert_many of {BATCH})")
    started = time.perf_counter()
    tenth = max(BATCH, (size - len(loader.ids)) // 10)
    stored = len(loader.ids)
    with progress.bar(f"loading {size} customers", size - len(loader.ids)) as done:
        while stored < size:
            stored = await loader.grow_to(min(size, stored + tenth), deadline, done)
            progress.note(f"scale: {stored} of {size} customers stored")
    load_seconds = time.perf_counter() - started
    if stored != size:
        raise BenchmarkError(f"the store acknowledged {stored} customers, not {size}")
    await asyncio.sleep(_AFTER_LOAD_SECONDS)
    return load_seconds


async def _measure_at(
    size: int,
    *,
    loader: CustomerLoader,
    driver: Driver,
    workload: CustomerWorkload,
    requests: int,
    phase_seconds: float,
    deadline: float,
    progress: Progress,
    rng: random.Random,
    patched: set[str],
) -> dict[str, Measurement]:
    """Raw find_one, retrieve, patch and the party's list pages with `size` stored."""
    loop = asyncio.get_running_loop()
    measurements = {}
    progress.note(f"scale: raw store find_one by _id with {size} stored")
    with progress.bar(f"store find_one with {size} stored", requests) as done:
        measurements[STORE_FIND] = await loader.timed_finds(
            rng.choices(loader.ids, k=requests),
            window=SCALE_WINDOW,
            send_until=loop.time() + phase_seconds,
            deadline=min(deadline, loop.time() + phase_seconds + REPLY_GRACE_SECONDS),
            on_done=done,
        )
    candidates = [i for i in loader.ids[PARTY_CUSTOMERS:] if i not in patched]
    to_patch = rng.sample(candidates, min(requests, len(candidates)))
    patched.update(to_patch)
    phases = {
        "retrieve": workload.retrieves(rng.choices(loader.ids, k=requests)),
        "patch": workload.patches(to_patch),
        "list": workload.filtered_pages(
            {"engagedParty.id": PARTY_ID}, PARTY_CUSTOMERS, PAGE_SIZE, LIST_REQUESTS
        ),
    }
    for operation, calls in phases.items():
        name = f"{operation} with {size} stored"
        one_at_a_time = operation == "list"
        progress.note(
            f"scale: {len(calls)} {operation} requests with {size} stored"
            + (", one at a time" if one_at_a_time else "")
            + f", for at most {phase_seconds:g} s"
        )
        measurements[operation], answers = await run_timed_phase(
            name,
            calls,
            driver,
            window=1 if one_at_a_time else SCALE_WINDOW,
            seconds=phase_seconds,
            grace=REPLY_GRACE_SECONDS,
            deadline=deadline,
            progress=progress,
        )
        if operation == "patch":
            # Customers left unpatched (unsent) may be patched at the next size; those the
            # patch reached have its name and party from now on (what the lists expect).
            sent = {i for i, a in zip(to_patch, answers, strict=True) if a is not UNSENT}
            patched.difference_update(set(to_patch) - sent)
            for customer_id, answer in zip(to_patch, answers, strict=True):
                if isinstance(answer, Answer) and answer.status == PATCHED:
                    loader.spread.patched(customer_id)
    return measurements
