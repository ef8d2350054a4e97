"""Lists on FerretDB, read an id bucket at a time: a list costs what it returns, not the store.

FerretDB v1 hands PostgreSQL a filter's top-level equalities (dotted ones too with nested
pushdown, which the local stack turns on: `stack/ferretdb`) and nothing else: no range, no `$in`,
no sort, and no limit once a find has a filter, a sort or a skip. Every document PostgreSQL
returns, FerretDB decodes (about 0.3 ms for a stored customer), filters, sorts and counts itself,
holding them all while it sorts. A list sent as one find and one count therefore reads every
match twice, and every customer when its filter is not an equality: with 10,000 customers an
unfiltered page took 5.6 s; with 100,000 every such list ran into the list deadline (503) and
FerretDB grew to gigabytes.

So a list is read in id buckets (`customer_async.query.shadow`: the customers whose id starts with
given characters, one indexed equality added to the filter's own), one query per bucket:

- **In id order** (no `sort`, `sort=id`, `sort=-id`): buckets in that order, each sorted by
  FerretDB (which holds one bucket at a time), until the page is full and the count has reached
  its bound (see `count_bound`); after the page, buckets are only counted. A first page costs
  about as much with 100,000 customers as with 1,000; a page at offset N reads N matches.
- **In another order**: every bucket, keeping the best `offset + limit` by the sort keys in the
  service, then the page's customers by id. Time grows with the matches (every one is read once),
  but neither FerretDB nor the service holds more than a bucket and a page, and the count is exact.
  Sort keys this module cannot compare as the server does (a path into an array, an attribute of
  any type) are left to `Unsorted`: the caller sends one find.

How many characters name a bucket (its level, 0 to 4; level 0 is everything) is chosen before each
query from what the list has seen so far, matches per share of the id space covered, aiming at
few queries that read not much more than the page and count still need. Its first query starts
from what earlier lists of the same shape (the same filter attributes) saw (`ListEstimates`), in
a bucket of at most `FIRST_BUCKET_CUSTOMERS` customers (unless that shape had `FEW_MATCHES` and
the filter has an equality FerretDB pushes down, so that few matches are few documents read): a
filter with few matches reads them all in one or two queries; an unfiltered list reads about one
bucket per page.
"""

from __future__ import annotations

import functools
import heapq
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from customer_async.query.paths import DATE_SHADOW, through_objects
from customer_async.query.shadow import DIGITS, LEVELS, bucket_path
from customer_async.types import Document

Stored = dict[str, Any]
SortKeys = Sequence[tuple[str, int]]

QUERY_COST_IN_DOCUMENTS = 4
"""What one more query costs FerretDB, in documents read (about 1.2 ms against 0.3 ms)."""
MOST_PER_BUCKET = 1000
"""The most matches a bucket is chosen to hold: what FerretDB holds at once to sort a bucket."""
SCAN_PER_BUCKET = 500
"""Matches a bucket is chosen to hold when every match is read (a list in another order)."""
FIRST_BUCKET_CUSTOMERS = 16 * MOST_PER_BUCKET
"""The most customers in the bucket of a list's first query (what a wrong guess can cost)..."""
FEW_MATCHES = MOST_PER_BUCKET / 16
"""... unless lists of its shape matched no more than this many the last time: then all at once
(a name, an email address: one query; a wrong guess reads every match once, as before buckets)."""
_FIRST_ESTIMATE = 16.0**LEVELS
"""Customers assumed before any list has seen some: a bucket of level 3 holds a few of them."""
_SHAPES_REMEMBERED = 256
STALE_SECONDS = 60.0
"""Past this since a list saw every customer, the store may have grown a lot (a bulk load): a
list's first bucket is then chosen for 16 times the customers remembered."""
_COMPARABLE = frozenset({"string", "integer", "number", "boolean", "date-time"})


class BucketReader(Protocol):
    """The store commands a bucketed list is made of (one collection, the list's deadline)."""

    async def fetch(
        self, query: Document, sort: SortKeys, projection: Document | None
    ) -> list[Stored]:
        """Every document matching `query`, in `sort` order, with `projection` (None: the
        resource without its bookkeeping)."""
        ...

    async def count(self, query: Document, limit: int) -> int:
        """How many documents match `query`, counting no further than `limit`."""
        ...


@dataclass(frozen=True, slots=True)
class Counted:
    """A page of matches, and their total: exact, or a lower bound (`exact` False)."""

    items: list[Stored]
    total: int
    exact: bool


class ListEstimates:
    """What earlier lists saw (one per store): how many customers the store holds, and how many
    matched lists of each shape (the names of the filter's conditions), the last time."""

    def __init__(self, customers: float = _FIRST_ESTIMATE) -> None:
        self.customers = customers
        self._matches: dict[tuple[str, ...], float] = {}
        self._counted_at = time.monotonic()

    def matches(self, shape: tuple[str, ...]) -> float:
        """The matches expected for a list of this shape: as the last one saw, else every
        customer (allowing for growth, see `STALE_SECONDS`)."""
        if shape in self._matches:
            return self._matches[shape]
        return self.allowed_customers()

    def allowed_customers(self) -> float:
        """The customers remembered, 16 times as many when that is `STALE_SECONDS` old."""
        stale = time.monotonic() - self._counted_at > STALE_SECONDS
        return self.customers * (16.0 if stale else 1.0)

    def learn(self, shape: tuple[str, ...], walk: _Walk) -> None:
        """What a walk saw: every customer when `shape` is empty, else at least that many."""
        if walk.covered() <= 0:
            return
        seen = walk.matches / walk.covered()
        if not shape:  # every customer: learnt, not remembered as a shape
            self.customers = max(seen, 1.0)
            self._counted_at = time.monotonic()
            return
        self.customers = max(self.customers, seen)
        self._matches.pop(shape, None)
        self._matches[shape] = seen
        if len(self._matches) > _SHAPES_REMEMBERED:
            del self._matches[next(iter(self._matches))]


class Unsorted(Exception):
    """The sort cannot be merged bucket by bucket in the service (see the module docstring)."""


def count_bound(limit_setting: int, offset: int, limit: int) -> int:
    """Up to how many matches a list counts exactly: the setting, or the end of the page when
    that is further. Past it the total says "more than this" (`Counted.exact` False)."""
    return max(limit_setting, offset + limit)


@dataclass(slots=True)
class _Walk:
    """Where a walk through the id space is: the boundary of what is done, and what it saw.

    Ascending, every id below `boundary` is done (`""`: nothing yet); descending, every id from
    `boundary` on (None: nothing yet). `finished` once the whole space is done.
    """

    descending: bool
    boundary: str | None
    finished: bool = False
    matches: int = 0
    """Matches seen so far."""

    @classmethod
    def start(cls, descending: bool) -> _Walk:
        return cls(descending, None if descending else "")

    def covered(self) -> float:
        """The share of the id space done."""
        if self.finished:
            return 1.0
        if self.boundary is None:
            return 0.0
        share = _share(self.boundary)
        return 1.0 - share if self.descending else share

    def density(self, estimate: float) -> float:
        """Matches expected in the whole id space (`estimate` before any is seen), erring a
        little high while few are: a bucket too small costs one more query, one too large
        reads 16 times what was meant."""
        covered = self.covered()
        if covered <= 0:
            return estimate
        return (self.matches + 1) / covered


@dataclass(frozen=True, slots=True)
class _Step:
    """One bucket query: its condition, and the walk's boundary after it (None: `finished`)."""

    condition: Document
    after: str | None
    finished: bool


def _share(prefix: str) -> float:
    """The share of the hex id space below the prefix boundary."""
    return int(prefix, 16) / 16.0 ** len(prefix) if prefix else 0.0


def _successor(name: str) -> str | None:
    """The boundary right after bucket `name` (trailing zeros dropped), None after the last."""
    digits = name.rstrip("f")
    if not digits:
        return None
    return digits[:-1] + DIGITS[DIGITS.index(digits[-1]) + 1]


def _predecessor(name: str) -> str | None:
    """The bucket right before `name` at its level, None before the first."""
    digits = name.rstrip("0")
    if not digits:
        return None
    zeros = len(name) - len(digits)
    return digits[:-1] + DIGITS[DIGITS.index(digits[-1]) - 1] + "f" * zeros


def _step(walk: _Walk, level: int) -> _Step:
    """The next bucket of `level` from where `walk` is."""
    boundary = walk.boundary
    if not walk.descending:
        low = boundary or ""
        # As a whole bucket name: an id sorting between "f" and "f000" is in bucket "efff".
        exclude: Document = {"_id": {"$gte": low.ljust(LEVELS, "0")}} if low else {}
        if level == 0:
            return _Step(exclude, None, True)
        name = low[:level] if len(low) > level else low.ljust(level, "0")
        after = _successor(name)
        condition = {bucket_path(level): name, **(exclude if len(low) > level else {})}
        return _Step(condition, after, after is None)
    if boundary is None:
        if level == 0:
            return _Step({}, None, True)
        name = "f" * level
        return _Step({bucket_path(level): name}, name, False)
    exclude = {"_id": {"$lt": boundary.ljust(LEVELS, "0")}}
    below = boundary[:level] if len(boundary) > level else _predecessor(boundary.ljust(level, "0"))
    if level == 0 or below is None:
        return _Step(exclude, None, True)
    condition = {bucket_path(level): below, **(exclude if len(boundary) > level else {})}
    after = below.rstrip("0")  # "": the first bucket (it also holds every id below "0000")
    return _Step(condition, after or None, not after)


def _level(
    walk: _Walk, need: float, estimates: ListEstimates, shape: tuple[str, ...], pushed_down: bool
) -> int:
    """The level whose buckets read the `need` matches still wanted at the least cost: queries
    (each `QUERY_COST_IN_DOCUMENTS`) plus documents (a tie goes to the larger bucket), no bucket
    over `MOST_PER_BUCKET` matches, the first over `FIRST_BUCKET_CUSTOMERS` customers."""
    density = walk.density(estimates.matches(shape))
    coarsest = 0
    # A first bucket as large as the store only when it reads just the matches (an equality is
    # pushed down) and this shape matched a few the last time.
    if walk.covered() <= 0 and not (pushed_down and density <= FEW_MATCHES):
        customers = estimates.allowed_customers()
        while coarsest < LEVELS and customers / 16.0**coarsest > FIRST_BUCKET_CUSTOMERS:
            coarsest += 1
    best, best_cost = LEVELS, math.inf
    for level in range(LEVELS, coarsest - 1, -1):
        per_bucket = density / 16.0**level
        if per_bucket > MOST_PER_BUCKET and level < LEVELS:
            break
        queries = math.ceil(need / per_bucket) if per_bucket > 0 else 1
        cost = queries * QUERY_COST_IN_DOCUMENTS + max(per_bucket, need)
        if cost <= best_cost:
            best, best_cost = level, cost
    return best


def _scan_level(walk: _Walk, estimates: ListEstimates, shape: tuple[str, ...]) -> int:
    """The coarsest level whose buckets hold at most `SCAN_PER_BUCKET` matches."""
    density = walk.density(estimates.matches(shape))
    for level in range(LEVELS + 1):
        if density / 16.0**level <= SCAN_PER_BUCKET:
            return level
    return LEVELS


def _and(query: Document, condition: Document) -> Document:
    """`query` with `condition` added: bucket equalities at the top level (where FerretDB pushes
    them down), the id bound inside `$and` with the filter's own rest."""
    combined = dict(query)
    for name, value in condition.items():
        if name == "_id" or name in combined:
            combined["$and"] = [*combined.get("$and", []), {name: value}]
        else:
            combined[name] = value
    return combined


async def read_in_id_order(
    reader: BucketReader,
    query: Document,
    *,
    descending: bool,
    offset: int,
    limit: int,
    projection: Document | None,
    bound: int,
    estimates: ListEstimates,
    shape: tuple[str, ...],
    pushed_down: bool,
) -> Counted:
    """The page at `offset` in id order and the count up to `bound` (see the module docstring).

    `query` is the whole filter as the store runs it (live customers only); `shape` names the
    filter's own conditions (none: every live customer), what `estimates` remember lists by;
    `pushed_down` says one of them is an equality the server reads through an index.
    """
    sort = [("_id", -1 if descending else 1)]
    walk = _Walk.start(descending)
    end_of_page = offset + limit
    count_to = bound + 1
    items: list[Stored] = []
    position = 0
    cut_short = False  # a count stopped at its limit: more may match there
    while not walk.finished and position < count_to:
        filling = position < end_of_page
        # What is still to read either way: a page is full long before its count is done.
        need = count_to - position
        step = _step(walk, _level(walk, need, estimates, shape, pushed_down))
        condition = _and(query, step.condition)
        if filling:
            found = await reader.fetch(condition, sort, projection)
            walk.matches += len(found)
            items += found[max(0, offset - position) : max(0, end_of_page - position)]
            position += len(found)
        else:
            counted = await reader.count(condition, count_to - position)
            cut_short = counted == count_to - position
            walk.matches += counted
            position += counted
        walk.boundary, walk.finished = step.after, step.finished
    estimates.learn(shape, walk)
    if walk.finished and not cut_short:
        return Counted(items, position, exact=True)
    return Counted(items, count_to, exact=False)


def sort_order(sort: SortKeys, types: Mapping[str, str]) -> SortOrder:
    """How the service orders documents by `sort` as the server does; `Unsorted` when a key
    may reach several values (a path into an array) or values of several types."""
    keys = []
    for path, direction in sort:
        if path != "_id":
            attribute = path.removeprefix(f"{DATE_SHADOW}.")
            if types.get(attribute) not in _COMPARABLE or not through_objects(path, types):
                raise Unsorted(f"cannot order by {path!r} in the service")
        keys.append((path, direction))
    return SortOrder(tuple(keys))


@dataclass(frozen=True, slots=True)
class SortOrder:
    """Sort keys over scalar paths, compared as MongoDB does for one type: missing (or null)
    before every value, then by value; `_id` last."""

    keys: tuple[tuple[str, int], ...]

    @property
    def projection(self) -> Document:
        """What a document needs to be placed: its sort keys and id."""
        return {"_id": 1, **{path: 1 for path, _ in self.keys}}

    def key(self, document: Stored) -> Any:
        """A sort key for `sorted`/`heapq` (smaller first)."""
        return functools.cmp_to_key(self._compare)(document)

    def _compare(self, left: Stored, right: Stored) -> int:
        for path, direction in self.keys:
            a, b = _reach(left, path), _reach(right, path)
            if a == b:
                continue
            before = a is None if a is None or b is None else a < b
            return (-1 if before else 1) * direction
        return 0


def _reach(document: Stored, path: str) -> Any:
    """The value at a dotted path through objects (None when missing)."""
    value: Any = document
    for segment in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(segment)
    return value


async def read_in_sort_order(
    reader: BucketReader,
    query: Document,
    order: SortOrder,
    *,
    offset: int,
    limit: int,
    projection: Document | None,
    estimates: ListEstimates,
    shape: tuple[str, ...],
) -> Counted:
    """The page at `offset` in `order`: every match read a bucket at a time, the best
    `offset + limit` kept, then the page's customers read by id (see the module docstring)."""
    walk = _Walk.start(descending=False)
    kept: list[_Kept] = []  # a heap: the worst of the best on top
    keep = offset + limit
    total = 0
    while not walk.finished:
        step = _step(walk, _scan_level(walk, estimates, shape))
        found = await reader.fetch(_and(query, step.condition), [], order.projection)
        walk.matches += len(found)
        for document in found:
            total += 1
            candidate = _Kept(order.key(document), document)
            if len(kept) < keep:
                heapq.heappush(kept, candidate)
            elif candidate.key < kept[0].key:
                heapq.heapreplace(kept, candidate)
        walk.boundary, walk.finished = step.after, step.finished
    estimates.learn(shape, walk)
    ranked = sorted(kept, reverse=True)  # best first: the heap order is worst first
    items = []
    for candidate in ranked[offset:keep]:
        # By id, an indexed equality; a customer deleted since is left out.
        items += await reader.fetch({**query, "_id": candidate.document["_id"]}, [], projection)
    return Counted(items, total, exact=True)


class _Kept:
    """A document among the best kept; in the heap, the worst of them comes first."""

    __slots__ = ("document", "key")

    def __init__(self, key: Any, document: Stored) -> None:
        self.key = key
        self.document = document

    def __lt__(self, other: _Kept) -> bool:
        return bool(other.key < self.key)


__all__ = [
    "BucketReader",
    "Counted",
    "ListEstimates",
    "SortOrder",
    "Unsorted",
    "count_bound",
    "read_in_id_order",
    "read_in_sort_order",
    "sort_order",
]
