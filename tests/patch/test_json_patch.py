"""RFC 6902 JSON Patch: the six operations, error translation, atomicity."""

from __future__ import annotations

import copy

import pytest

from customer_async.errors import InvalidPatch, PatchTestFailed
from customer_async.patch import apply_patch
from customer_async.patch.json_patch import apply_json_patch
from customer_async.types import JSON, Document

DOCUMENT: Document = {
    "id": "42",
    "name": "Moon",
    "status": "Created",
    "characteristic": [{"name": "size", "value": 1}, {"name": "colour", "value": "red"}],
    "validFor": {"startDateTime": "2018-06-12T00:00:00Z"},
}


def patched(*operations: JSON) -> JSON:
    """DOCUMENT after the operations, checking on the way that DOCUMENT is left as it was."""
    before = copy.deepcopy(DOCUMENT)
    result = apply_json_patch(DOCUMENT, list(operations))
    assert before == DOCUMENT
    return result


def test_add_sets_a_new_member() -> None:
    assert patched({"op": "add", "path": "/description", "value": "x"})["description"] == "x"


def test_add_replaces_an_existing_member() -> None:
    assert patched({"op": "add", "path": "/name", "value": "Sun"})["name"] == "Sun"


def test_add_inserts_into_an_array_and_dash_appends() -> None:
    result = patched(
        {"op": "add", "path": "/characteristic/0", "value": {"name": "first"}},
        {"op": "add", "path": "/characteristic/-", "value": {"name": "last"}},
    )
    assert [c["name"] for c in result["characteristic"]] == ["first", "size", "colour", "last"]


def test_remove_deletes_a_member_and_an_element() -> None:
    result = patched(
        {"op": "remove", "path": "/validFor"}, {"op": "remove", "path": "/characteristic/0"}
    )
    assert "validFor" not in result
    assert result["characteristic"] == [{"name": "colour", "value": "red"}]


def test_replace_changes_a_nested_value() -> None:
    result = patched({"op": "replace", "path": "/characteristic/1/value", "value": "blue"})
    assert result["characteristic"][1] == {"name": "colour", "value": "blue"}


def test_move_takes_the_value_away_from_its_source() -> None:
    result = patched({"op": "move", "from": "/validFor", "path": "/characteristic/0/validFor"})
    assert "validFor" not in result
    assert result["characteristic"][0]["validFor"] == DOCUMENT["validFor"]


def test_move_within_an_array_reorders_it() -> None:
    result = patched({"op": "move", "from": "/characteristic/0", "path": "/characteristic/1"})
    assert [c["name"] for c in result["characteristic"]] == ["colour", "size"]


def test_copy_duplicates_the_value_independently() -> None:
    result = patched(
        {"op": "copy", "from": "/characteristic/0", "path": "/characteristic/-"},
        {"op": "replace", "path": "/characteristic/2/value", "value": 2},
    )
    assert result["characteristic"][0] == {"name": "size", "value": 1}
    assert result["characteristic"][2] == {"name": "size", "value": 2}


def test_test_that_holds_changes_nothing() -> None:
    assert patched({"op": "test", "path": "/characteristic/0/value", "value": 1}) == DOCUMENT


def test_test_compares_numbers_by_value() -> None:
    assert patched({"op": "test", "path": "/characteristic/0/value", "value": 1.0}) == DOCUMENT


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/name", "Sun"),
        ("/characteristic/0/value", True),  # true is not 1
        ("/characteristic/0", {"name": "size"}),
        ("/missing", None),  # nothing there: the document is not as the client assumed
        ("/characteristic/7", {}),
    ],
)
def test_test_that_fails_is_409_naming_the_path(path: str, value: JSON) -> None:
    with pytest.raises(PatchTestFailed) as caught:
        patched({"op": "test", "path": path, "value": value})
    assert caught.value.status == 409
    assert path in caught.value.message


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param({"op": "remove", "path": "/missing"}, id="remove-missing-member"),
        pytest.param({"op": "replace", "path": "/missing", "value": 1}, id="replace-missing"),
        pytest.param({"op": "add", "path": "/missing/child", "value": 1}, id="add-no-parent"),
        pytest.param({"op": "add", "path": "/characteristic/9", "value": 1}, id="add-past-end"),
        pytest.param({"op": "remove", "path": "/characteristic/01"}, id="leading-zero-index"),
        pytest.param({"op": "remove", "path": "/characteristic/-"}, id="remove-dash"),
        pytest.param({"op": "replace", "path": "/name/first", "value": 1}, id="into-string"),
        pytest.param({"op": "remove", "path": "name"}, id="no-leading-slash"),
        pytest.param({"op": "remove", "path": "/a~2b"}, id="bad-escape"),
        pytest.param({"op": "move", "from": "/missing", "path": "/x"}, id="move-from-missing"),
        pytest.param({"op": "copy", "from": "/missing", "path": "/x"}, id="copy-from-missing"),
        pytest.param({"op": "move", "from": "/validFor", "path": "/validFor/x"}, id="into-child"),
        pytest.param({"op": "remove", "path": ""}, id="remove-whole-document"),
    ],
)
def test_unresolvable_or_bad_pointer_is_400_naming_index_and_path(operation: JSON) -> None:
    with pytest.raises(InvalidPatch) as caught:
        patched({"op": "test", "path": "/id", "value": "42"}, operation)
    assert caught.value.status == 400
    assert "operation 1" in caught.value.message
    assert repr(operation["path"]) in caught.value.message


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param({"op": "add", "path": "/x"}, id="add-without-value"),
        pytest.param({"op": "replace", "path": "/name"}, id="replace-without-value"),
        pytest.param({"op": "test", "path": "/name"}, id="test-without-value"),
        pytest.param({"op": "move", "path": "/x"}, id="move-without-from"),
        pytest.param({"op": "copy", "path": "/x"}, id="copy-without-from"),
        pytest.param({"op": "add", "value": 1}, id="without-path"),
        pytest.param({"path": "/x", "value": 1}, id="without-op"),
        pytest.param({"op": "append", "path": "/name", "value": "x"}, id="unknown-op"),
        pytest.param({"op": "add", "path": 5, "value": 1}, id="path-not-a-string"),
        pytest.param({"op": "move", "from": 5, "path": "/x"}, id="from-not-a-string"),
        pytest.param("remove /name", id="operation-not-an-object"),
    ],
)
def test_malformed_operation_is_400_naming_its_index(operation: JSON) -> None:
    with pytest.raises(InvalidPatch, match="operation 1"):
        patched({"op": "test", "path": "/id", "value": "42"}, operation)


def test_patch_that_is_not_an_array_is_400() -> None:
    with pytest.raises(InvalidPatch):
        apply_json_patch(DOCUMENT, {"op": "remove", "path": "/name"})


def test_error_message_never_shows_document_values() -> None:
    """jsonpointer's own messages embed the document; ours say where, not what is there."""
    with pytest.raises(InvalidPatch) as caught:
        patched({"op": "remove", "path": "/validFor/endDateTime"})
    assert "2018-06-12" not in caught.value.message


def test_failing_later_operation_leaves_the_input_untouched() -> None:
    document = copy.deepcopy(DOCUMENT)
    with pytest.raises(PatchTestFailed):
        apply_json_patch(
            document,
            [
                {"op": "replace", "path": "/name", "value": "Sun"},
                {"op": "remove", "path": "/characteristic/0"},
                {"op": "add", "path": "/validFor/endDateTime", "value": "2019"},
                {"op": "test", "path": "/status", "value": "Approved"},
            ],
        )
    assert document == DOCUMENT


def test_result_shares_no_value_with_input_or_patch() -> None:
    value = {"name": "new", "tags": ["a"]}
    patch = [{"op": "add", "path": "/characteristic/-", "value": value}]
    result = apply_json_patch(DOCUMENT, patch)
    result["characteristic"][-1]["tags"].append("b")
    result["validFor"]["startDateTime"] = "changed"
    assert value == {"name": "new", "tags": ["a"]}
    assert DOCUMENT["validFor"] == {"startDateTime": "2018-06-12T00:00:00Z"}


def test_empty_patch_returns_an_equal_copy() -> None:
    result = apply_json_patch(DOCUMENT, [])
    assert result == DOCUMENT
    assert result is not DOCUMENT


def test_apply_patch_replacing_the_root_with_a_non_object_is_400() -> None:
    with pytest.raises(InvalidPatch, match="JSON object"):
        apply_patch(
            DOCUMENT, "application/json-patch+json", [{"op": "replace", "path": "", "value": 1}]
        )
