"""Random payloads and patches into the write handlers: a Change or a 4xx, never another error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customer_async.errors import RequestError
from customer_async.handlers import HandlerContext, create_customer, patch_customer
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import JSON, Change, Command, Document, Operation

SETTINGS = Settings(topic_prefix="fz")
CONTEXT = HandlerContext(SETTINGS, cast("CustomerStore", None))  # create decides without a store
NAMES = st.sampled_from(
    [
        "name",
        "status",
        "engagedParty",
        "contactMedium",
        "characteristic",
        "validFor",
        "id",
        "href",
        "@type",
        "$set",
        "a.b",
        "__proto__",
        "_id",
        "",
        "description",
        "relatedParty",
        "value",
        "@referredType",
        "startDateTime",
        "city",
        "preferred",
    ]
)
# What the decoder lets through: JSON without NaN/Infinity, integers within 64 bits.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["Created", "Approved", "2024-01-01T00:00:00Z", "not a date", "Customer"]),
)
VALUES: st.SearchStrategy[JSON] = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(NAMES, children, max_size=5)
    ),
    max_leaves=15,
)
VALID: Document = {
    "name": "Moon Football Club",
    "engagedParty": {"id": "500", "@referredType": "Organization"},
    "contactMedium": [{"@type": "EmailContactMedium", "emailAddress": "a@b.c", "preferred": True}],
    "characteristic": [{"@type": "StringCharacteristic", "name": "c", "value": "v"}],
}
PAYLOADS = st.one_of(
    VALUES,
    st.dictionaries(NAMES, VALUES, max_size=6).map(lambda extra: {**VALID, **extra}),
)
POINTERS = st.one_of(
    st.sampled_from(
        [
            "",
            "/",
            "/name",
            "/status",
            "/id",
            "/contactMedium/0",
            "/contactMedium/-",
            "/contactMedium/9",
            "/contactMedium/0/preferred",
            "/contactMedium/preferred?emailAddress=a@b.c",
            "/contactMedium?preferred=true",
            "/characteristic/0/value",
            "/a~2b",
            "/$set",
            "/engagedParty/id",
            "name",
            "//",
        ]
    ),
    st.text(max_size=12),
)
OPERATIONS = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "nope"])},
    optional={"path": POINTERS, "from": POINTERS, "value": VALUES},
)
PATCHES = st.one_of(VALUES, st.lists(OPERATIONS, max_size=4), st.lists(VALUES, max_size=3))
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/merge-patch+json",
            "application/json",
            "application/json-patch+json",
            "application/json-patch-query+json",
            "text/plain",
            "application/json; charset=utf-8",
        ]
    ),
    st.text(max_size=10),
)
PARAMETERS = st.dictionaries(st.sampled_from(["fields", "id"]), VALUES, max_size=2)


def command(operation: Operation, payload: JSON, **extra: object) -> Command:
    return Command(
        operation,
        "corr",
        SETTINGS.request_topic(operation),
        SETTINGS.reply_topic(operation),
        payload=payload,
        **extra,  # type: ignore[arg-type]  # content_type and parameters, as drawn
    )


def check(decide: Callable[[], Change]) -> None:
    """`decide` returns a 2xx Change with JSON-clean bodies, or raises a 4xx RequestError."""
    try:
        change = decide()
    except RequestError as error:
        status = error.status
    else:
        status = change.reply.status
        json.dumps(change.reply.body, allow_nan=False)
        for event in change.events:
            json.dumps(event.body, allow_nan=False)
    assert 200 <= status < 500


CURRENT = create_customer(command(Operation.CREATE, VALID), CONTEXT).resource
assert CURRENT is not None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(PAYLOADS, PARAMETERS)
def test_create_decides_a_change_or_refuses_with_a_4xx(
    payload: JSON, parameters: dict[str, JSON]
) -> None:
    request = command(Operation.CREATE, payload, parameters=parameters)
    check(lambda: create_customer(request, CONTEXT))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(PATCHES, CONTENT_TYPES, PARAMETERS)
def test_patch_decides_a_change_or_refuses_with_a_4xx(
    patch: JSON, content_type: str | None, parameters: dict[str, JSON]
) -> None:
    assert CURRENT is not None
    request = command(Operation.PATCH, patch, content_type=content_type, parameters=parameters)
    current = dict(CURRENT)
    check(lambda: patch_customer(request, current))
