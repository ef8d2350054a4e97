"""The rules every patch obeys: non-patchable attributes, attribute names, what changed."""

from __future__ import annotations

import copy

import pytest

from customer_async.errors import InvalidAttributeName, NonPatchableAttribute
from customer_async.patch import apply_patch, changed_attributes
from customer_async.types import JSON, Document
from tests.patch.conftest import CUSTOMER_1140

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
QUERY = "application/json-patch-query+json"


@pytest.mark.parametrize("name", ["id", "href", "@type"])
@pytest.mark.parametrize(
    ("content_type", "make_payload"),
    [
        pytest.param(MERGE, lambda name: {name: "other"}, id="merge-change"),
        pytest.param(MERGE, lambda name: {name: None}, id="merge-remove"),
        pytest.param(
            JSON_PATCH,
            lambda name: [{"op": "replace", "path": f"/{name}", "value": "other"}],
            id="json-patch-replace",
        ),
        pytest.param(
            JSON_PATCH, lambda name: [{"op": "remove", "path": f"/{name}"}], id="json-patch-remove"
        ),
        pytest.param(
            JSON_PATCH,
            lambda name: [{"op": "move", "from": f"/{name}", "path": "/description"}],
            id="json-patch-move",
        ),
        pytest.param(
            QUERY,
            lambda name: [{"op": "copy", "from": "/name", "path": f"/{name}"}],
            id="query-copy-onto",
        ),
    ],
)
def test_changing_or_removing_a_non_patchable_attribute_is_400_naming_it(
    customer_1140: Document, name: str, content_type: str, make_payload: JSON
) -> None:
    with pytest.raises(NonPatchableAttribute) as caught:
        apply_patch(customer_1140, content_type, make_payload(name))
    assert caught.value.status == 400
    assert repr(name) in caught.value.message
    assert customer_1140 == CUSTOMER_1140


def test_id_of_another_type_is_a_change(customer_1140: Document) -> None:
    with pytest.raises(NonPatchableAttribute, match="'id'"):
        apply_patch(customer_1140, MERGE, {"id": 1140})


def test_sending_the_current_values_is_allowed(customer_1140: Document) -> None:
    payload = {name: customer_1140[name] for name in ("id", "href", "@type")} | {"name": "Sun"}
    assert apply_patch(customer_1140, MERGE, payload)["name"] == "Sun"
    operations = [
        {"op": "replace", "path": "/@type", "value": "Customer"},
        {"op": "add", "path": "/id", "value": "1140"},
    ]
    assert apply_patch(customer_1140, JSON_PATCH, operations) == CUSTOMER_1140


def test_removing_then_restoring_a_non_patchable_attribute_is_allowed(
    customer_1140: Document,
) -> None:
    """Only the result counts: the patch as a whole leaves `href` as it was."""
    operations = [
        {"op": "move", "from": "/href", "path": "/description"},
        {"op": "move", "from": "/description", "path": "/href"},
    ]
    assert apply_patch(customer_1140, JSON_PATCH, operations) == CUSTOMER_1140


@pytest.mark.parametrize("bad", ["$set", "_id", "_internal", "a.b", "nul\x00"])
@pytest.mark.parametrize(
    ("content_type", "make_payload"),
    [
        pytest.param(MERGE, lambda bad: {bad: 1}, id="merge-top"),
        pytest.param(MERGE, lambda bad: {"engagedParty": {"x": {bad: 1}}}, id="merge-nested"),
        pytest.param(
            MERGE, lambda bad: {"contactMedium": [{"city": "x"}, {bad: 1}]}, id="merge-in-array"
        ),
        pytest.param(MERGE, lambda bad: {bad: None}, id="merge-null"),
        pytest.param(
            JSON_PATCH,
            lambda bad: [{"op": "add", "path": f"/{bad}", "value": 1}],
            id="json-patch-path",
        ),
        pytest.param(
            JSON_PATCH,
            lambda bad: [{"op": "add", "path": f"/engagedParty/{bad}", "value": 1}],
            id="json-patch-deep-path",
        ),
        pytest.param(
            JSON_PATCH,
            lambda bad: [{"op": "move", "from": f"/{bad}", "path": "/x"}],
            id="json-patch-from",
        ),
        pytest.param(
            JSON_PATCH,
            lambda bad: [
                {"op": "add", "path": "/engagedParty", "value": {"id": "1", "x": [{bad: 1}]}}
            ],
            id="json-patch-value",
        ),
        pytest.param(
            QUERY,
            lambda bad: [{"op": "add", "path": f"/contactMedium/{bad}?city=Paris", "value": 1}],
            id="query-pointer",
        ),
        pytest.param(
            QUERY,
            lambda bad: [
                {"op": "replace", "path": "/contactMedium/x?city=Paris", "value": {bad: 1}}
            ],
            id="query-value",
        ),
    ],
)
def test_forbidden_attribute_name_is_400(
    customer_1140: Document, bad: str, content_type: str, make_payload: JSON
) -> None:
    with pytest.raises(InvalidAttributeName) as caught:
        apply_patch(customer_1140, content_type, make_payload(bad))
    assert caught.value.status == 400
    assert repr(bad) in caught.value.message


@pytest.mark.parametrize("condition", ["_id=1", "contactMedium.$where=1", "validFor._dt=1"])
def test_forbidden_name_in_a_query_condition_is_400(
    customer_1140: Document, condition: str
) -> None:
    with pytest.raises(InvalidAttributeName):
        apply_patch(customer_1140, QUERY, [{"op": "remove", "path": f"/contactMedium?{condition}"}])


def test_escaped_pointer_segments_are_checked_unescaped(customer_1140: Document) -> None:
    """`/a~1b` names the member `a/b`, which is allowed; `/~0x` names `~x`, also allowed."""
    operations = [
        {"op": "add", "path": "/a~1b", "value": 1},
        {"op": "add", "path": "/~0x", "value": 2},
    ]
    patched = apply_patch(customer_1140, JSON_PATCH, operations)
    assert patched["a/b"] == 1
    assert patched["~x"] == 2


def test_at_names_and_array_indices_are_fine(customer_1140: Document) -> None:
    operations = [
        {"op": "add", "path": "/contactMedium/0/@baseType", "value": "ContactMedium"},
        {"op": "add", "path": "/contactMedium/-", "value": {"@type": "EmailContactMedium"}},
    ]
    patched = apply_patch(customer_1140, JSON_PATCH, operations)
    assert patched["contactMedium"][0]["@baseType"] == "ContactMedium"
    assert len(patched["contactMedium"]) == 3


def test_changed_attributes_names_first_level_changes_additions_and_removals() -> None:
    before = {"id": "1", "name": "a", "status": "Created", "validFor": {"s": 1}, "gone": 1}
    after = {"id": "1", "name": "a", "status": "Approved", "validFor": {"s": 2}, "new": None}
    assert changed_attributes(before, after) == {"status", "validFor", "gone", "new"}


def test_changed_attributes_of_an_unchanged_customer_is_empty() -> None:
    customer = copy.deepcopy(CUSTOMER_1140)
    assert changed_attributes(CUSTOMER_1140, customer) == set()


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        ({"a": 1}, {"a": True}, {"a"}),  # Python says 1 == True; JSON does not
        ({"a": [0]}, {"a": [False]}, {"a"}),
        ({"a": {"b": 1}}, {"a": {"b": 1.0}}, set()),  # the same JSON number
        ({"a": None}, {}, {"a"}),
        ({"a": []}, {"a": {}}, {"a"}),
    ],
)
def test_changed_attributes_compares_as_json(
    before: Document, after: Document, changed: set[str]
) -> None:
    assert changed_attributes(before, after) == changed


def test_status_change_is_reported_as_status(customer_1140: Document) -> None:
    patched = apply_patch(customer_1140, MERGE, {"status": "Approved", "@type": "Customer"})
    assert changed_attributes(customer_1140, patched) == {"status"}
