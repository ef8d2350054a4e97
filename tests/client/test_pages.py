"""Pages of a list reply, and walking every page of one query."""

from __future__ import annotations

import pytest

from customer_async.client.errors import MalformedReply
from customer_async.client.pages import Page, iterate_pages
from customer_async.client.replies import Reply


def test_a_list_reply_becomes_a_page_with_its_counts() -> None:
    reply = Reply(
        200,
        "c",
        headers={"X-Total-Count": "7", "X-Result-Count": "2"},
        body=[{"id": "1"}, {"id": "2"}],
    )
    page = Page.from_reply(reply, offset=4)
    assert page.items == [{"id": "1"}, {"id": "2"}]
    assert (page.offset, page.total_count, page.result_count) == (4, 7, 2)
    assert page.next_offset == 6
    assert not page.is_last


def test_a_total_the_service_counted_only_so_far_is_a_lower_bound() -> None:
    headers = {"X-Total-Count": "101", "X-Total-Count-Exact": "false", "X-Result-Count": "10"}
    page = Page.from_reply(Reply(200, "c", headers=headers, body=[{"id": "1"}] * 10), offset=0)
    assert (page.total_count, page.total_exact) == (101, False)
    assert not page.is_last
    exact = Page.from_reply(Reply(200, "c", headers={"X-Total-Count": "7"}, body=[]), offset=0)
    assert exact.total_exact


def test_a_list_reply_that_is_not_an_array_is_malformed() -> None:
    with pytest.raises(MalformedReply):
        Page.from_reply(Reply(200, "c", body={"id": "1"}), offset=0)


@pytest.mark.parametrize(
    ("page", "last"),
    [
        (Page(items=[{"id": "1"}], offset=6, total_count=7), True),
        (Page(items=[{"id": "1"}], offset=5, total_count=7), False),
        (Page(items=[], offset=0, total_count=None), True),
        (Page(items=[{"id": "1"}], offset=0, total_count=None), False),
    ],
)
def test_the_last_page_is_the_one_reaching_the_total_or_an_empty_one(
    page: Page, last: bool
) -> None:
    assert page.is_last is last


class InMemoryQuery:
    """A query over `matches` customers served `page_size` at a time; records the offsets asked."""

    def __init__(self, matches: int, page_size: int, *, with_total: bool = True) -> None:
        self.matches = matches
        self.page_size = page_size
        self.with_total = with_total
        self.asked: list[int] = []

    async def fetch(self, offset: int) -> Page:
        self.asked.append(offset)
        end = min(offset + self.page_size, self.matches)
        return Page(
            items=[{"id": str(n)} for n in range(offset, end)],
            offset=offset,
            total_count=self.matches if self.with_total else None,
        )


async def test_every_page_comes_once_and_no_request_goes_past_the_total() -> None:
    query = InMemoryQuery(matches=7, page_size=3)
    pages = [page async for page in iterate_pages(query.fetch)]
    assert [[c["id"] for c in page.items] for page in pages] == [
        ["0", "1", "2"],
        ["3", "4", "5"],
        ["6"],
    ]
    assert query.asked == [0, 3, 6]


async def test_iteration_starts_at_the_given_offset() -> None:
    query = InMemoryQuery(matches=7, page_size=3)
    pages = [page async for page in iterate_pages(query.fetch, offset=5)]
    assert [c["id"] for page in pages for c in page.items] == ["5", "6"]
    assert query.asked == [5]


async def test_without_a_total_iteration_ends_at_the_first_empty_page() -> None:
    query = InMemoryQuery(matches=4, page_size=2, with_total=False)
    pages = [page async for page in iterate_pages(query.fetch)]
    assert [len(page.items) for page in pages] == [2, 2, 0]
    assert query.asked == [0, 2, 4]


async def test_no_match_is_one_empty_page() -> None:
    query = InMemoryQuery(matches=0, page_size=10)
    pages = [page async for page in iterate_pages(query.fetch)]
    assert [page.items for page in pages] == [[]]


async def test_pages_are_fetched_only_as_the_caller_asks() -> None:
    query = InMemoryQuery(matches=100, page_size=10)
    async for _ in iterate_pages(query.fetch):
        break
    assert query.asked == [0]
