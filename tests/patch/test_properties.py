"""Property tests: `apply_patch` agrees with the plain reference RFC 6902 and RFC 7386 code.

Documents and patches are random; keys come from a small alphabet that holds the characters
JSON Pointer escapes (`~`, `/`) and the empty name, and no name the patch rules refuse (so the
comparison is about RFC semantics only). Operation sequences are drawn one at a time against the
reference's current document, so most operations touch existing locations and later ones see
earlier ones' effects; some are deliberately off (missing members, indices past the end, tests
of wrong values) so that errors are compared too.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from customer_async.errors import InvalidPatch, PatchTestFailed, RequestError
from customer_async.patch import apply_patch
from tests.patch.reference import (
    ReferencePatchError,
    ReferenceTestFailed,
    canonical,
    pointer,
    reference_json_patch,
    reference_merge_patch,
)

keys = st.sampled_from(["", "a", "b", "ab", "~", "/", "a~1", "0", "-"])
scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, 2, 1.0, 2.5, -3])
    | st.sampled_from(["", "x", "1", "true"])
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=8,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=5)


def locations(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every location in a document with its value, the root first."""
    found = [(prefix, value)]
    if isinstance(value, dict):
        for key, member in value.items():
            found += locations(member, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += locations(item, (*prefix, str(index)))
    return found


@st.composite
def target_location(draw: st.DrawFn, document: Any) -> str:
    """Where an `add` (or a move or copy) may put a value: a member, an index, or `-`."""
    container_path, container = draw(
        st.sampled_from([(p, v) for p, v in locations(document) if isinstance(v, dict | list)])
    )
    if isinstance(container, dict):
        token = draw(keys)
    else:
        token = draw(st.sampled_from(["-", *(str(i) for i in range(len(container) + 2))]))
    return pointer((*container_path, token))


@st.composite
def operation_on(draw: st.DrawFn, document: Any) -> dict[str, Any]:
    """One RFC 6902 operation against `document`, mostly over its existing locations."""
    existing = [path for path, _ in locations(document) if path]
    op = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]))
    if draw(st.integers(0, 9)) == 0 or not existing:
        # Off the map: a location that (most likely) does not exist.
        path = pointer(
            draw(st.lists(keys | st.sampled_from(["5", "01", "zz"]), min_size=1, max_size=3))
        )
    elif op == "add":
        path = draw(target_location(document))
    else:
        path = pointer(draw(st.sampled_from(existing)))
    operation: dict[str, Any] = {"op": op, "path": path}
    if op in ("move", "copy"):
        operation["from"] = path
        operation["path"] = draw(target_location(document))
        if op == "move" and draw(st.booleans()):
            operation["from"], operation["path"] = operation["path"], operation["from"]
    if op in ("add", "replace"):
        operation["value"] = draw(values)
    if op == "test":
        current = dict(locations(document)).get(tuple(_tokens(path)))
        # Mostly the value that is there (or its twin), so that tests pass often enough for
        # the operations after them to be compared too.
        operation["value"] = (
            draw(values)
            if draw(st.integers(0, 4)) == 0
            else draw(st.sampled_from([current, _twin(current)]))
        )
    return operation


def _tokens(path: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _twin(value: Any) -> Any:
    """A value JSON calls equal (1 and 1.0) or that only Python calls equal (1 and true)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    return copy.deepcopy(value)


@st.composite
def document_and_operations(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    document = draw(documents)
    operations: list[dict[str, Any]] = []
    current: Any = document
    for _ in range(draw(st.integers(1, 8))):
        operation = draw(operation_on(current))
        operations.append(operation)
        try:
            current = reference_json_patch(current, [operation])
        except ReferencePatchError:
            break  # the rest would never be reached
    return document, operations


def _outcome_of_reference(document: Any, operations: list[Any]) -> tuple[str, Any]:
    try:
        return "ok", canonical(reference_json_patch(document, operations))
    except ReferenceTestFailed:
        return "409", None
    except ReferencePatchError:
        return "400", None


def _outcome_of_service(document: Any, content_type: str | None, payload: Any) -> tuple[str, Any]:
    try:
        return "ok", canonical(apply_patch(document, content_type, payload))
    except PatchTestFailed:
        return "409", None
    except InvalidPatch:
        return "400", None


@settings(max_examples=400, deadline=None)
@given(
    document_and_operations(),
    st.sampled_from(["application/json-patch+json", "application/json-patch-query+json", None]),
)
def test_json_patch_agrees_with_the_reference(
    case: tuple[dict[str, Any], list[dict[str, Any]]], content_type: str | None
) -> None:
    """Same document, or the same kind of error (409 for a test, 400 otherwise)."""
    document, operations = case
    before = copy.deepcopy(document)
    expected = _outcome_of_reference(document, operations)
    event(f"outcome {expected[0]}")
    for operation in operations:
        event(f"op {operation['op']}")

    assert _outcome_of_service(document, content_type, copy.deepcopy(operations)) == expected
    assert canonical(document) == canonical(before)


@settings(max_examples=300, deadline=None)
@given(documents, st.dictionaries(keys, values | st.none(), max_size=4))
def test_merge_patch_agrees_with_the_reference(document: dict[str, Any], patch: Any) -> None:
    before, patch_before = copy.deepcopy(document), copy.deepcopy(patch)

    patched = apply_patch(document, "application/merge-patch+json", patch)

    assert canonical(patched) == canonical(reference_merge_patch(document, patch))
    assert canonical(document) == canonical(before)
    assert canonical(patch) == canonical(patch_before)


junk_pointers = st.sampled_from(
    ["", "/", "/a", "/a/0", "/a/-", "/a/01", "a", "/~", "/~2", "/a?b=1", "/a?", "/a/x?b", "?"]
)
junk_operations = (
    st.dictionaries(
        st.sampled_from(["op", "path", "from", "value"]),
        st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"])
        | junk_pointers
        | values,
        max_size=4,
    )
    | values
)


@settings(max_examples=300, deadline=None)
@given(
    documents,
    st.sampled_from(
        [
            "application/json-patch+json",
            "application/json-patch-query+json",
            "application/merge-patch+json",
            None,
        ]
    ),
    st.lists(junk_operations, max_size=4) | values,
)
def test_any_payload_is_patched_or_refused_as_a_request_error(
    document: dict[str, Any], content_type: str | None, payload: Any
) -> None:
    """Whatever a client sends, the answer is a customer or a 4xx, never an unexpected error."""
    document = {"a": [{"b": 1}, 2], **document}
    try:
        patched = apply_patch(document, content_type, payload)
    except RequestError:
        return
    assert isinstance(patched, dict)
