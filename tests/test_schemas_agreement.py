"""The fast validator (jsonschema-rs) and jsonschema agree on what is valid.

`schemas.validate` accepts what jsonschema-rs accepts and asks jsonschema only for the message of
a refusal, so the two must agree on every document: here on the seed's documents and on many
documents made from them by replacing one value at a random place with a random JSON value.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import best_match

from customer_async.schemas import default_registry
from tests.support.examples import CREATE_REQUEST, CUSTOMER_1140, MERGE_PATCH

SCHEMAS = ("Customer", "Customer_FVO", "Customer_MVO")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "StringCharacteristic"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["@type", "id", "name", "value", "startDateTime", "x"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)


def agree(schema_name: str, document: Any) -> None:
    registry = default_registry()
    fast = registry.fast_validator(schema_name).is_valid(document)
    slow = best_match(registry.validator(schema_name).iter_errors(document)) is None
    assert fast == slow, (schema_name, document)


def places(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `document`."""
    found = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            found += places(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += places(value, (*path, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


@pytest.mark.parametrize("schema_name", SCHEMAS)
@pytest.mark.parametrize("document", [CUSTOMER_1140, CREATE_REQUEST, MERGE_PATCH, {}, [], "x"])
def test_the_seed_documents_get_one_verdict(schema_name: str, document: Any) -> None:
    agree(schema_name, document)


@settings(max_examples=300)
@given(
    schema_name=st.sampled_from(SCHEMAS),
    base=st.sampled_from([CUSTOMER_1140, CREATE_REQUEST]),
    where=st.integers(min_value=0),
    value=json_values,
)
def test_a_document_with_one_value_replaced_gets_one_verdict(
    schema_name: str, base: dict[str, Any], where: int, value: Any
) -> None:
    paths = places(base)
    agree(schema_name, replaced(base, paths[where % len(paths)], value))
