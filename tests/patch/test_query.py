"""JSON Patch Query: `?attr=value&…` selects the array elements an operation acts on."""

from __future__ import annotations

import copy

import pytest

from customer_async.errors import InvalidPatch, PatchTestFailed
from customer_async.patch import apply_patch
from customer_async.patch.query import Condition, apply_json_patch_query, parse_query_path
from customer_async.types import JSON, Document

QUERY = "application/json-patch-query+json"

CUSTOMER: Document = {
    "id": "7",
    "@type": "Customer",
    "name": "Club",
    "contactMedium": [
        {
            "@type": "PhoneContactMedium",
            "preferred": True,
            "phoneNumber": "+33 1 09 75 83 51",
            "validFor": {"startDateTime": "2018-06-12T00:00:00Z"},
        },
        {
            "@type": "GeographicAddressContactMedium",
            "preferred": False,
            "city": "Paris",
            "postCode": "75014",
            "rank": 2,
            "validFor": {"startDateTime": "2018-06-12T00:00:00Z"},
        },
        {
            "@type": "GeographicAddressContactMedium",
            "preferred": False,
            "city": "Paris",
            "postCode": "75001",
            "rank": 3.5,
            "validFor": {"startDateTime": "2020-01-01T00:00:00Z"},
        },
        {
            "@type": "GeographicAddressContactMedium",
            "preferred": False,
            "city": "Lyon",
            "postCode": "69001",
            "note": None,
        },
    ],
    "characteristic": {"not": "an array"},
}


def patched(*operations: JSON) -> Document:
    """CUSTOMER after the query patch, checking that CUSTOMER is left as it was."""
    before = copy.deepcopy(CUSTOMER)
    result = apply_patch(CUSTOMER, QUERY, list(operations))
    assert before == CUSTOMER
    return result


def preferred(document: Document) -> list[bool]:
    return [medium["preferred"] for medium in document["contactMedium"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("city=Lyon", [True, False, False, True], id="bare"),
        pytest.param("contactMedium.city=Lyon", [True, False, False, True], id="dotted"),
        pytest.param(
            "validFor.startDateTime=2020-01-01T00:00:00Z",
            [True, False, True, False],
            id="bare-nested",
        ),
        pytest.param(
            "contactMedium.validFor.startDateTime=2020-01-01T00:00:00Z",
            [True, False, True, False],
            id="dotted-nested",
        ),
        pytest.param("city=Paris&postCode=75001", [True, False, True, False], id="two-conditions"),
        pytest.param(
            "city=Paris&contactMedium.postCode=75014&preferred=false",
            [True, True, False, False],
            id="three-conditions-mixed",
        ),
        pytest.param("city=Paris", [True, True, True, False], id="several-matches-all-changed"),
        pytest.param("preferred=false", [True, True, True, True], id="boolean"),
        pytest.param("rank=2", [True, True, False, False], id="integer"),
        pytest.param("rank=2.0", [True, True, False, False], id="integer-spelled-as-float"),
        pytest.param("rank=3.50", [True, False, True, False], id="float"),
        pytest.param("note=null", [True, False, False, True], id="null"),
        pytest.param(
            "phoneNumber=+33 1 09 75 83 51", [True, False, False, False], id="plus-is-literal"
        ),
        pytest.param(
            "phoneNumber=%2B33%201%2009%2075%2083%2051",
            [True, False, False, False],
            id="percent-decoded",
        ),
    ],
)
def test_replace_applies_to_every_selected_element(query: str, expected: list[bool]) -> None:
    result = patched({"op": "replace", "path": f"/contactMedium/preferred?{query}", "value": True})
    assert preferred(result) == expected


def test_unselected_elements_are_untouched() -> None:
    result = patched({"op": "replace", "path": "/contactMedium/city?postCode=75001", "value": "X"})
    assert result["contactMedium"][2]["city"] == "X"
    for index in (0, 1, 3):
        assert result["contactMedium"][index] == CUSTOMER["contactMedium"][index]


@pytest.mark.parametrize(
    "query",
    [
        "city=paris",  # strings match exactly
        "preferred=False",  # JSON spelling only
        "rank=two",
        "validFor=2018",  # an object never matches
        "contactMedium.missing=x",
        "postCode=75014&city=Lyon",  # all conditions must hold
    ],
)
def test_query_matching_nothing_is_400_naming_the_path(query: str) -> None:
    path = f"/contactMedium/preferred?{query}"
    with pytest.raises(InvalidPatch) as caught:
        patched({"op": "replace", "path": path, "value": True})
    assert caught.value.status == 400
    assert path in caught.value.message


def test_remove_without_rest_removes_every_selected_element() -> None:
    result = patched({"op": "remove", "path": "/contactMedium?city=Paris"})
    assert [m.get("city") for m in result["contactMedium"]] == [None, "Lyon"]


def test_remove_with_rest_removes_the_member_in_each_selected_element() -> None:
    result = patched({"op": "remove", "path": "/contactMedium/validFor?city=Paris"})
    assert ["validFor" in m for m in result["contactMedium"]] == [True, False, False, False]


def test_add_sets_a_member_in_each_selected_element() -> None:
    result = patched(
        {"op": "add", "path": "/contactMedium/validFor/endDateTime?city=Paris", "value": "2030"}
    )
    assert [m.get("validFor", {}).get("endDateTime") for m in result["contactMedium"]] == [
        None,
        "2030",
        "2030",
        None,
    ]


def test_added_values_are_independent_copies() -> None:
    result = patched({"op": "add", "path": "/contactMedium/tags?city=Paris", "value": ["a"]})
    result["contactMedium"][1]["tags"].append("b")
    assert result["contactMedium"][2]["tags"] == ["a"]


def test_replace_without_rest_replaces_the_selected_elements() -> None:
    result = patched({"op": "replace", "path": "/contactMedium?city=Lyon", "value": {"x": 1}})
    assert result["contactMedium"][3] == {"x": 1}
    assert len(result["contactMedium"]) == 4


def test_replace_of_a_member_a_selected_element_lacks_is_400() -> None:
    with pytest.raises(InvalidPatch, match="operation 0"):
        patched({"op": "replace", "path": "/contactMedium/validFor?preferred=false", "value": {}})


def test_test_that_holds_for_every_selected_element_passes() -> None:
    assert (
        patched({"op": "test", "path": "/contactMedium/city?rank=2", "value": "Paris"}) == CUSTOMER
    )


def test_test_failing_for_one_selected_element_is_409() -> None:
    with pytest.raises(PatchTestFailed) as caught:
        patched({"op": "test", "path": "/contactMedium/postCode?city=Paris", "value": "75014"})
    assert "/contactMedium/postCode?city=Paris" in caught.value.message


def test_selection_is_made_when_the_operation_applies() -> None:
    """A later query sees the array as the earlier operations left it."""
    result = patched(
        {"op": "remove", "path": "/contactMedium/0"},
        {"op": "replace", "path": "/contactMedium/city?city=Paris", "value": "Rome"},
        {
            "op": "replace",
            "path": "/contactMedium/preferred?city=Rome&postCode=75001",
            "value": True,
        },
    )
    assert [m["city"] for m in result["contactMedium"]] == ["Rome", "Rome", "Lyon"]
    assert preferred(result) == [False, True, False]


def test_plain_operations_mix_with_query_operations() -> None:
    result = patched(
        {"op": "replace", "path": "/name", "value": "Sun"},
        {"op": "replace", "path": "/contactMedium/preferred?city=Lyon", "value": True},
    )
    assert result["name"] == "Sun"
    assert preferred(result) == [True, False, False, True]


def test_failing_query_operation_undoes_the_whole_patch() -> None:
    document = copy.deepcopy(CUSTOMER)
    with pytest.raises(InvalidPatch):
        apply_json_patch_query(
            document,
            [
                {"op": "replace", "path": "/name", "value": "Sun"},
                {"op": "remove", "path": "/contactMedium?city=Paris"},
                {"op": "remove", "path": "/contactMedium?city=Paris"},
            ],
        )
    assert document == CUSTOMER


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        pytest.param(
            {"op": "replace", "path": "/name/x?a=b", "value": 1},
            "not an array",
            id="leading-segment-a-string",
        ),
        pytest.param(
            {"op": "replace", "path": "/characteristic/x?a=b", "value": 1},
            "not an array",
            id="leading-segment-an-object",
        ),
        pytest.param(
            {"op": "replace", "path": "/missing/x?a=b", "value": 1},
            "not an array",
            id="leading-segment-missing",
        ),
        pytest.param(
            {"op": "add", "path": "/contactMedium?city=Paris", "value": {}},
            "location within",
            id="add-without-rest",
        ),
        pytest.param(
            {"op": "move", "from": "/contactMedium/city?city=Lyon", "path": "/x"},
            "query",
            id="move-from-query",
        ),
        pytest.param(
            {"op": "copy", "from": "/name", "path": "/contactMedium/x?city=Lyon"},
            "query",
            id="copy-to-query",
        ),
        pytest.param(
            {"op": "append", "path": "/contactMedium/x?city=Lyon", "value": 1},
            "only add, remove, replace and test",
            id="unknown-op",
        ),
        pytest.param(
            {"op": "remove", "path": "?city=Lyon"}, "array attribute", id="no-array-segment"
        ),
        pytest.param(
            {"op": "remove", "path": "contactMedium?city=Lyon"},
            "JSON Pointer",
            id="pointer-without-slash",
        ),
        pytest.param(
            {"op": "remove", "path": "/contactMedium?city"},
            "attr=value",
            id="condition-without-equals",
        ),
        pytest.param({"op": "remove", "path": "/contactMedium?"}, "attr=value", id="empty-query"),
        pytest.param(
            {"op": "remove", "path": "/contactMedium?city=Lyon&"},
            "attr=value",
            id="trailing-ampersand",
        ),
        pytest.param(
            {"op": "remove", "path": "/contactMedium?=Lyon"},
            "empty attribute",
            id="empty-attribute",
        ),
        pytest.param(
            {"op": "remove", "path": "/contactMedium?validFor..x=1"},
            "empty attribute",
            id="empty-dotted-segment",
        ),
    ],
)
def test_meaningless_query_operation_is_400(operation: JSON, message: str) -> None:
    with pytest.raises(InvalidPatch, match=message) as caught:
        patched({"op": "test", "path": "/id", "value": "7"}, operation)
    assert "operation 1" in caught.value.message


def test_question_mark_is_a_plain_character_in_plain_json_patch() -> None:
    document = {"id": "1", "a?b=c": 1}
    result = apply_patch(
        document, "application/json-patch+json", [{"op": "replace", "path": "/a?b=c", "value": 2}]
    )
    assert result == {"id": "1", "a?b=c": 2}


def test_parse_query_path() -> None:
    parsed = parse_query_path(
        "/relatedParty/partyOrPartyRole/na~1me?role=bill%20receiver&"
        "relatedParty.partyOrPartyRole.id=2777&a=x%3Dy%26z"
    )
    assert parsed is not None
    assert parsed.array == "relatedParty"
    assert parsed.rest == "/partyOrPartyRole/na~1me"
    assert parsed.element_path(3) == "/relatedParty/3/partyOrPartyRole/na~1me"
    assert parsed.conditions == (
        Condition(("role",), "bill receiver"),
        Condition(("partyOrPartyRole", "id"), "2777"),
        Condition(("a",), "x=y&z"),
    )


def test_parse_plain_path_is_none() -> None:
    assert parse_query_path("/contactMedium/0/city") is None


def test_array_name_is_escaped_in_the_element_path() -> None:
    parsed = parse_query_path("/a~1b~0c/x?y=1")
    assert parsed is not None
    assert parsed.array == "a/b~c"
    assert parsed.element_path(0) == "/a~1b~0c/0/x"
