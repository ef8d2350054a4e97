"""RFC 7386 merge patch."""

from __future__ import annotations

import copy

import pytest

from customer_async.patch import apply_patch
from customer_async.patch.merge import apply_merge_patch
from customer_async.types import JSON


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        # The test cases of RFC 7386 Appendix A.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_rfc_7386_examples(target: JSON, patch: JSON, expected: JSON) -> None:
    assert apply_merge_patch(target, patch) == expected


def test_null_removes_a_nested_member_and_leaves_its_siblings() -> None:
    target = {"validFor": {"startDateTime": "2018-06-12T00:00:00Z", "endDateTime": "2019"}}
    patched = apply_merge_patch(target, {"validFor": {"endDateTime": None}})
    assert patched == {"validFor": {"startDateTime": "2018-06-12T00:00:00Z"}}


def test_null_of_a_missing_member_changes_nothing() -> None:
    assert apply_merge_patch({"a": 1}, {"b": None, "c": {"d": None}}) == {"a": 1, "c": {}}


def test_arrays_are_replaced_whole_not_merged() -> None:
    target = {"contactMedium": [{"city": "Paris", "preferred": False}, {"phone": "1"}]}
    patch = {"contactMedium": [{"preferred": True}]}
    assert apply_merge_patch(target, patch) == {"contactMedium": [{"preferred": True}]}


def test_nulls_inside_a_replacing_array_are_kept() -> None:
    """Only object members are merged; an array's content is the new value as it stands."""
    assert apply_merge_patch({}, {"a": [{"b": None}, None]}) == {"a": [{"b": None}, None]}


def test_neither_input_is_mutated_and_the_result_shares_nothing() -> None:
    target = {"a": {"b": [1]}, "c": [1, 2]}
    patch = {"a": {"d": [3]}, "c": [4], "e": None}
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)

    patched = apply_merge_patch(target, patch)
    patched["a"]["b"].append(9)
    patched["a"]["d"].append(9)
    patched["c"].append(9)

    assert target == target_before
    assert patch == patch_before


def test_apply_patch_merges_into_a_customer() -> None:
    customer = {"id": "1", "@type": "Customer", "validFor": {"startDateTime": "x", "end": "y"}}
    patched = apply_patch(customer, "application/merge-patch+json", {"validFor": {"end": None}})
    assert patched == {"id": "1", "@type": "Customer", "validFor": {"startDateTime": "x"}}
