"""Each list kind's expected answer comes from the model of what is stored: totals, page size
and the page itself, including the patched customers' shared name."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Mapping, Sequence

from benchmarks.driver import Answer
from benchmarks.list_kinds import PAGE_LIMIT, SORT_OFFSET, list_calls
from benchmarks.payloads import PATCHED_NAME
from benchmarks.phase import Call, judge
from benchmarks.spread import PARTIES, STATUSES, StoredSpread
from benchmarks.workload import CustomerWorkload
from customer_async.settings import Settings

STORED = 700


def _spread() -> StoredSpread:
    spread = StoredSpread()
    for number in range(STORED):
        spread.draw(f"{number:08d}-customer")
    return spread


def _answer(items: Sequence[Mapping[str, object]], total: int) -> Answer:
    headers = {
        "X-Total-Count": str(total),
        "X-Result-Count": str(len(items)),
        "X-Total-Count-Exact": "true",
    }
    return Answer(200, headers, json.dumps(items).encode(), sent=0.0, received=0.001)


def _calls(kind: str, spread: StoredSpread, count: int = 3) -> list[Call]:
    workload = CustomerWorkload(Settings(topic_prefix="test"))
    return list_calls(kind, spread, workload, count, random.Random(1))


def _parameters(call: Call) -> dict[str, object]:
    parameters: dict[str, object] = json.loads(dict(call.request.headers)["Parameters"])
    return parameters


def test_the_spread_has_ten_statuses_and_a_hundred_parties_and_distinct_names() -> None:
    spread = _spread()

    assert set(spread.counts("status")) == set(STATUSES)
    assert set(spread.counts("party")) <= set(PARTIES)
    assert len(spread.counts("party")) > 90
    assert max(spread.counts("name").values()) == 1


def test_a_status_page_is_right_only_with_the_stored_total_and_that_status() -> None:
    spread = _spread()
    call = _calls("status", spread, 1)[0]
    status = str(_parameters(call)["status"])
    total = spread.counts("status")[status]
    matching = [
        {"id": i, "status": status} for i, c in spread.customers.items() if c.status == status
    ]

    right = judge(call, _answer(matching[:PAGE_LIMIT], total))
    wrong_total = judge(call, _answer(matching[:PAGE_LIMIT], total + 1))
    wrong_item = judge(call, _answer([{"status": "Other"}, *matching[1:PAGE_LIMIT]], total))

    assert (right.ok, wrong_total.ok, wrong_item.ok) == (True, False, False)


def test_the_sorted_page_follows_descending_names_then_ids_after_a_patch() -> None:
    """Patched customers share one name; among them the id decides, ascending."""
    spread = _spread()
    for customer_id in list(spread.customers)[:600]:
        spread.patched(customer_id)
    call = _calls("sort=-name", spread, 1)[0]
    by_name = Counter(c.name for c in spread.customers.values())
    assert by_name[PATCHED_NAME] == 600
    ordered = sorted(sorted(spread.customers), key=lambda i: spread.customers[i].name, reverse=True)
    page = [{"id": i, "name": spread.customers[i].name} for i in ordered[SORT_OFFSET:][:PAGE_LIMIT]]

    assert _parameters(call) == {"sort": "-name", "offset": SORT_OFFSET, "limit": PAGE_LIMIT}
    assert judge(call, _answer(page, STORED)).ok
    assert not judge(call, _answer(list(reversed(page)), STORED)).ok


def test_name_pages_ask_for_names_no_other_customer_has() -> None:
    spread = _spread()
    spread.patched(next(iter(spread.customers)))

    names = [_parameters(call)["name"] for call in _calls("name", spread, 5)]

    assert PATCHED_NAME not in names
    assert len(set(names)) == 5
