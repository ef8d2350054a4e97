"""What the driver asks: the service's five operations on the seed's Customer, and the echo.

Every call says what a right answer is: the expected status, and a check of the value (the
created customer has an id, a retrieve returns the customer asked for, a patch shows the new
name, a list page counts every patched customer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

from benchmarks.driver import Answer, NoAnswer, Request, Unsent
from benchmarks.payloads import PATCHED_NAME, customer_create_request, customer_merge_patch
from benchmarks.phase import Call, Check, reply_body
from customer_async.settings import Settings
from customer_async.types import Operation

ECHO_REQUEST_SUFFIX = "benchmark.echo.commandRequest"
ECHO_REPLY_SUFFIX = "benchmark.echo.commandReply"
LIST_PAGES = 10
"""How many list pages a run reads: together they cover every patched customer once."""


def _parameters(parameters: dict[str, object]) -> tuple[str, bytes]:
    return ("Parameters", json.dumps(parameters).encode())


def _has_id(answer: Answer) -> str | None:
    body = reply_body(answer)
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return None
    return "the created customer has no id"


def created_id(answer: Answer | NoAnswer | Unsent) -> str | None:
    """The id of the customer a create reply carries, if it carries one."""
    if not isinstance(answer, Answer) or answer.status != 201:
        return None
    body = reply_body(answer)
    customer_id = body.get("id") if isinstance(body, dict) else None
    return customer_id if isinstance(customer_id, str) else None


class CustomerWorkload:
    """The calls of each service phase, on the topics of one prefix."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._create = json.dumps(customer_create_request()).encode()
        self._patch = json.dumps(customer_merge_patch()).encode()

    @property
    def reply_topics(self) -> list[str]:
        """The default reply topics of the five operations (the driver reads them all)."""
        return [self._settings.reply_topic(operation) for operation in Operation]

    @property
    def topics(self) -> list[str]:
        """Every topic the service uses: requests, replies, notifications."""
        requests = [self._settings.request_topic(operation) for operation in Operation]
        return [*requests, *self.reply_topics, self._settings.notification_topic]

    def warm_up(self) -> Call:
        """A list of at most one customer: answered once the service serves."""
        request = Request(
            self._settings.request_topic(Operation.LIST),
            b"",
            [_parameters({"limit": 1})],
        )
        return Call(request, 200)

    def creates(self, count: int) -> list[Call]:
        """`count` creates of the seed's Customer."""
        topic = self._settings.request_topic(Operation.CREATE)
        return [Call(Request(topic, self._create), 201, _has_id) for _ in range(count)]

    def retrieves(self, ids: Sequence[str]) -> list[Call]:
        """A retrieve of each customer, keyed by its id."""
        topic = self._settings.request_topic(Operation.RETRIEVE)
        return [
            Call(
                Request(topic, b"", [_parameters({"id": i})], key=i.encode()),
                200,
                _field_is("id", i),
            )
            for i in ids
        ]

    def patches(self, ids: Sequence[str]) -> list[Call]:
        """The seed's merge patch on each customer."""
        topic = self._settings.request_topic(Operation.PATCH)
        content_type = ("Content-Type", b"application/merge-patch+json")
        return [
            Call(
                Request(topic, self._patch, [_parameters({"id": i}), content_type], key=i.encode()),
                200,
                _field_is("name", PATCHED_NAME),
            )
            for i in ids
        ]

    def list_pages(self, total: int) -> list[Call]:
        """`LIST_PAGES` pages of the customers named `PATCHED_NAME`, covering all `total`."""
        topic = self._settings.request_topic(Operation.LIST)
        size = max(1, math.ceil(total / LIST_PAGES))
        calls = []
        for page in range(LIST_PAGES):
            parameters = {"name": PATCHED_NAME, "offset": page * size, "limit": size}
            expected = max(0, min(size, total - page * size))
            request = Request(topic, b"", [_parameters(parameters)])
            calls.append(Call(request, 200, _page_counts(total, expected)))
        return calls

    def filtered_pages(
        self, filters: dict[str, str], total: int, page_size: int, count: int
    ) -> list[Call]:
        """`count` list pages of `page_size` over the `total` customers matching `filters`,
        going through their pages in turn (each page's counts are checked)."""
        topic = self._settings.request_topic(Operation.LIST)
        pages = max(1, math.ceil(total / page_size))
        calls = []
        for index in range(count):
            offset = (index % pages) * page_size
            parameters = {**filters, "offset": offset, "limit": page_size}
            expected = max(0, min(page_size, total - offset))
            request = Request(topic, b"", [_parameters(parameters)])
            calls.append(Call(request, 200, _page_counts(total, expected)))
        return calls

    def list_call(self, parameters: dict[str, object], check: Check) -> Call:
        """A list page with these parameters, right when 200 and `check` finds nothing wrong."""
        request = Request(
            self._settings.request_topic(Operation.LIST), b"", [_parameters(parameters)]
        )
        return Call(request, 200, check)

    def deletes(self, ids: Sequence[str]) -> list[Call]:
        """A delete of each customer."""
        topic = self._settings.request_topic(Operation.DELETE)
        return [
            Call(Request(topic, b"", [_parameters({"id": i})], key=i.encode()), 204) for i in ids
        ]


def echo_topics(prefix: str) -> tuple[str, str]:
    """The echo's request and reply topics under `prefix`."""
    return f"{prefix}.{ECHO_REQUEST_SUFFIX}", f"{prefix}.{ECHO_REPLY_SUFFIX}"


def echo_calls(request_topic: str, count: int) -> list[Call]:
    """`count` echo round trips carrying the seed's Customer; the reply must return it intact."""
    value = json.dumps(customer_create_request()).encode()

    def same_value(answer: Answer) -> str | None:
        return None if answer.value == value else "the echo changed the value"

    return [Call(Request(request_topic, value), 200, same_value) for _ in range(count)]


def _field_is(name: str, expected: str) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        body = reply_body(answer)
        if isinstance(body, dict) and body.get(name) == expected:
            return None
        return f"{name} is not {expected!r}"

    return check


def page_counts_problem(answer: Answer, total: int, offset: int, in_page: int) -> str | None:
    """What is wrong with a list reply's counts for a page of `in_page` items at `offset` of
    `total` matches, or None. `X-Total-Count` is exact, or (`X-Total-Count-Exact: false`) a
    lower bound that lies past the page (the contract's capped count)."""
    headers = answer.headers
    reported, results = headers.get("X-Total-Count"), headers.get("X-Result-Count")
    found = (reported, results, headers.get("X-Total-Count-Exact"))
    if results != str(in_page) or reported is None or not reported.isdigit():
        return f"X-Total-Count/X-Result-Count/-Exact {found} for {total} matches, {in_page} here"
    if found[2] == "true" and int(reported) == total:
        return None
    if found[2] == "false" and offset + in_page < int(reported) <= total:
        return None
    return f"X-Total-Count/X-Result-Count/-Exact {found} for {total} matches, {in_page} here"


def _page_counts(total: int, in_page: int) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        return page_counts_problem(answer, total, 0, in_page)

    return check
