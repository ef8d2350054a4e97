"""Lists per filter kind: one first page of each kind, with the customers of the scale phase.

With the store filled to each scale size by bulk loading (scale.py) with spread values
(spread.py), seven kinds of list page are asked for, `requests` of each, one at a time, each kind
stopping after `phase_seconds` like the scale phases:

- `unfiltered`: the first page (limit 10), by customer id;
- `name`: one customer's name (one match);
- `status`: one status (about 10 % of the customers);
- `engagedParty.id`: the party of `PARTY_CUSTOMERS` (25) customers at every size, a nested
  equality with few matches (the kind the 50 ms target is about);
- `engagedParty.id 1%`: one of 100 parties (about 1 %: 1,000 matches with 100,000 stored, each
  page counting up to the count bound);
- `name.regex`: `^City Trade`, a prefix of about 1 % of the names;
- `sort=-name`: the page at offset 500 by descending name (then ascending id).

Every reply is checked against the model of what is stored: the total, the page's size and the
page itself (ids, names or the filtered value). Each request asks for another value, drawn from
a seeded generator. The report gives p50/p99 per kind and size, the 503 replies, and p50 at the
largest size over p50 at the smallest.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.driver import Answer, Driver
from benchmarks.phase import Call, reply_body, run_timed_phase
from benchmarks.progress import Progress
from benchmarks.ratios import ratio
from benchmarks.spread import (
    CITIES,
    PARTIES,
    PARTY_ID,
    STATUSES,
    TRADES,
    StoredSpread,
    name_prefix,
)
from benchmarks.stats import Measurement
from benchmarks.workload import CustomerWorkload, page_counts_problem

LIST_REQUESTS = 20
QUICK_LIST_REQUESTS = 5
PAGE_LIMIT = 10
SORT_OFFSET = 500
KINDS = (
    "unfiltered",
    "name",
    "status",
    "engagedParty.id",
    "engagedParty.id 1%",
    "name.regex",
    "sort=-name",
)
EQUALITY_KINDS = ("unfiltered", "name", "status", "engagedParty.id")
"""The kinds the targets hold to a latency: equality filters and the plain first page."""
UNAVAILABLE = "503"
_REPLY_GRACE_SECONDS = 60.0
"""After a kind stops sending, how long its last page may still take (the service's own list
deadline is 60 s)."""

Page = list[dict[str, Any]]
PageCheck = Callable[[Page], str | None]


@dataclass(frozen=True, slots=True)
class ListPoint:
    """Each kind's pages with `stored` customers in the store."""

    stored: int
    measurements: dict[str, Measurement]


@dataclass(frozen=True, slots=True)
class ListReport:
    """Each size's list kinds, smallest first."""

    points: list[ListPoint]

    def p50_ratio(self, kind: str) -> float:
        """`kind`'s p50 at the largest size over its p50 at the smallest (NaN: one size)."""
        if len(self.points) < 2:
            return float("nan")
        first, last = self.points[0].measurements, self.points[-1].measurements
        return ratio(last[kind].p50_ms, first[kind].p50_ms)

    def unavailable(self) -> int:
        """503 replies over every kind and size."""
        return sum(
            m.statuses.get(UNAVAILABLE, 0) for p in self.points for m in p.measurements.values()
        )

    def ratios(self) -> dict[str, float]:
        """p50 at the largest size over the smallest, by kind."""
        if len(self.points) < 2:
            return {}
        span = f"{self.points[-1].stored}/{self.points[0].stored}"
        return {f"list {kind} p50 {span} stored": self.p50_ratio(kind) for kind in KINDS}


def list_calls(
    kind: str, spread: StoredSpread, workload: CustomerWorkload, count: int, rng: random.Random
) -> list[Call]:
    """`count` pages of `kind`, each on another value, each checked against `spread`."""
    customers = spread.customers
    total = len(customers)
    if kind == "unfiltered":
        first = sorted(customers)[:PAGE_LIMIT]
        return [workload.list_call({"limit": PAGE_LIMIT}, _checked(total, _ids_are(first)))] * count
    if kind == "sort=-name":
        by_id = sorted(customers)
        ordered = sorted(by_id, key=lambda i: customers[i].name, reverse=True)  # stable: id ties
        page = ordered[SORT_OFFSET : SORT_OFFSET + PAGE_LIMIT]
        parameters = {"sort": "-name", "offset": SORT_OFFSET, "limit": PAGE_LIMIT}
        return [
            workload.list_call(parameters, _checked(total, _ids_are(page), SORT_OFFSET))
        ] * count
    key, attribute, counts, values = _filter_of(kind, spread)
    if kind == "name":  # names of their own (a patched customer shares the patch's name)
        chosen = rng.sample(values, min(count, len(values)))
    else:
        chosen = [rng.choice(values) for _ in range(count)]
    calls = []
    for value in chosen:
        parameter = f"^{value}" if kind == "name.regex" else value
        check = _checked(counts[value], _every(attribute, _matches(kind, value)))
        calls.append(workload.list_call({key: parameter, "limit": PAGE_LIMIT}, check))
    return calls


def _filter_of(kind: str, spread: StoredSpread) -> tuple[str, str, Counter[str], list[str]]:
    """A filter kind's parameter, the attribute its items show, the stored count of each value,
    and the values to ask for (in a fixed order, so a seeded draw repeats)."""
    if kind == "name":
        names = spread.counts("name")
        return "name", "name", names, sorted(name for name, n in names.items() if n == 1)
    if kind == "status":
        return "status", "status", spread.counts("status"), list(STATUSES)
    if kind == "engagedParty.id":
        return "engagedParty.id", "engagedParty", spread.counts("party"), [PARTY_ID]
    if kind == "engagedParty.id 1%":
        return "engagedParty.id", "engagedParty", spread.counts("party"), list(PARTIES)
    prefixes = Counter(name_prefix(customer.name) for customer in spread.customers.values())
    return "name.regex", "name", prefixes, [f"{c} {t}" for c in CITIES for t in TRADES]


async def measure_list_kinds(
    stored: int,
    *,
    spread: StoredSpread,
    driver: Driver,
    workload: CustomerWorkload,
    requests: int,
    phase_seconds: float,
    deadline: float,
    progress: Progress,
) -> ListPoint:
    """Every kind's pages, one at a time, with `stored` customers in the store."""
    rng = random.Random(stored)  # the same values every run at this size
    measurements = {}
    for kind in KINDS:
        calls = list_calls(kind, spread, workload, requests, rng)
        name = f"list {kind} with {stored} stored"
        progress.note(
            f"lists: {len(calls)} pages of {kind} with {stored} stored, one at a time, "
            f"for at most {phase_seconds:g} s"
        )
        measurements[kind], _ = await run_timed_phase(
            name,
            calls,
            driver,
            window=1,
            seconds=phase_seconds,
            grace=_REPLY_GRACE_SECONDS,
            deadline=deadline,
            progress=progress,
        )
    return ListPoint(stored, measurements)


def _matches(kind: str, value: str) -> Callable[[object], bool]:
    if kind.startswith("engagedParty.id"):
        return lambda party: isinstance(party, dict) and party.get("id") == value
    if kind == "name.regex":
        return lambda name: isinstance(name, str) and name.startswith(value)
    return lambda found: found == value


def _checked(total: int, page: PageCheck, offset: int = 0) -> Callable[[Answer], str | None]:
    """The check of a page at `offset` of `total` matches: the counts in the headers and the
    page's size, then its items."""
    in_page = max(0, min(PAGE_LIMIT, total - offset))

    def check(answer: Answer) -> str | None:
        body = reply_body(answer)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            return "the page is not a JSON array of customers"
        if len(body) != in_page:
            return f"{len(body)} items instead of {in_page}"
        return page_counts_problem(answer, total, offset, in_page) or page(body)

    return check


def _ids_are(ids: list[str]) -> PageCheck:
    def check(page: Page) -> str | None:
        found = [item.get("id") for item in page]
        return None if found == ids else f"ids {found[:3]}… instead of {ids[:3]}…"

    return check


def _every(attribute: str, right: Callable[[object], bool]) -> PageCheck:
    def check(page: Page) -> str | None:
        wrong = [item.get(attribute) for item in page if not right(item.get(attribute))]
        return None if not wrong else f"{len(wrong)} items with {attribute} {wrong[0]!r}"

    return check
