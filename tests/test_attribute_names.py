"""The attribute-name rule: keys a client may not use, found at any depth, named by JSON path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_async.attribute_names import check_attribute_name, check_document_names
from customer_async.errors import InvalidAttributeName
from tests.support.examples import CREATE_REQUEST


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"$where": "1"}, "$['$where']"),
        ({"_id": "1"}, "$._id"),
        ({"a.b": 1}, "$['a.b']"),
        ({"contactMedium": [{"@type": "X", "$set": {}}]}, "$.contactMedium[0]['$set']"),
        (
            {"characteristic": [{"value": {"deep": [{}, {"x": {"_secret": 1}}]}}]},
            "$.characteristic[0].value.deep[1].x._secret",
        ),
        ([{"ok": {"bad.key": None}}], "$[0].ok['bad.key']"),
        ({"nul\x00key": 1}, "$['nul\x00key']"),
    ],
)
def test_invalid_attribute_names_are_refused_with_their_path(doc: Any, path: str) -> None:
    with pytest.raises(InvalidAttributeName) as caught:
        check_document_names(doc)
    assert caught.value.message.startswith(f"{path}: ")


def test_allowed_attribute_names_pass() -> None:
    check_document_names(CREATE_REQUEST)
    check_document_names(
        {"@type": "VipCustomer", "snake_case": 1, "price$": 2, "note": "$ and . in values", "": 3}
    )


def test_deeply_nested_document_is_checked_without_recursion() -> None:
    doc: Any = {"$deep": 1}
    for _ in range(5_000):
        doc = {"a": [doc]}
    with pytest.raises(InvalidAttributeName):
        check_document_names(doc)


@pytest.mark.parametrize("name", ["$set", "_id", "a.b", "nul\x00"])
def test_single_forbidden_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidAttributeName):
        check_attribute_name(name)


def _every_key(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        return [str(k) for k in doc] + [k for v in doc.values() for k in _every_key(v)]
    if isinstance(doc, list):
        return [k for v in doc for k in _every_key(v)]
    return []


documents = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet="a_$.", max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)


@given(documents)
def test_a_document_is_refused_exactly_when_some_key_at_any_depth_is_forbidden(doc: Any) -> None:
    forbidden = [k for k in _every_key(doc) if k.startswith(("$", "_")) or "." in k]
    if forbidden:
        with pytest.raises(InvalidAttributeName):
            check_document_names(doc)
    else:
        check_document_names(doc)
