"""Patching a customer: choose the patch format, apply it atomically, enforce the patch rules.

    apply_patch(resource, content_type, payload)
    ├── media_types.resolve_patch_format    Content-Type and payload shape → PatchFormat (415/400)
    ├── attribute_names.check_patch_names   no `$…`, `_…` or dotted names in the payload (400)
    ├── merge.apply_merge_patch             RFC 7386
    │   json_patch.apply_json_patch         RFC 6902 (failed `test`: 409)
    │   query.apply_json_patch_query        JSON Patch with `?attr=value` element selection
    └── non_patchable.check_non_patchable   `id`, `href`, `@type` unchanged (400)

Everything here is pure: no I/O, and the resource passed in is never mutated. Validating the
result against the Customer schema is the caller's job.
"""

from __future__ import annotations

from customer_async.errors import InvalidPatch
from customer_async.patch.attribute_names import check_patch_names
from customer_async.patch.changes import changed_attributes
from customer_async.patch.json_patch import apply_json_patch
from customer_async.patch.media_types import (
    JSON_PATCH,
    JSON_PATCH_QUERY,
    MERGE_PATCH,
    PLAIN_JSON,
    PatchFormat,
    resolve_patch_format,
)
from customer_async.patch.merge import apply_merge_patch
from customer_async.patch.non_patchable import NON_PATCHABLE_ATTRIBUTES, check_non_patchable
from customer_async.patch.query import apply_json_patch_query
from customer_async.types import JSON, Document

__all__ = [
    "JSON_PATCH",
    "JSON_PATCH_QUERY",
    "MERGE_PATCH",
    "NON_PATCHABLE_ATTRIBUTES",
    "PLAIN_JSON",
    "PatchFormat",
    "apply_patch",
    "changed_attributes",
    "resolve_patch_format",
]


def apply_patch(resource: Document, content_type: str | None, payload: JSON) -> Document:
    """The customer after the patch `payload`, in the format `content_type` names.

    All or nothing: on any error nothing is applied, and `resource` is never mutated.
    Raises `UnsupportedContentType` (415), `PatchTestFailed` (409), or a `BadRequest` (400):
    `InvalidPatch`, `InvalidAttributeName`, `NonPatchableAttribute`.
    """
    patch_format = resolve_patch_format(content_type, payload)
    check_patch_names(patch_format, payload)
    if patch_format is PatchFormat.MERGE:
        patched = apply_merge_patch(resource, payload)
    elif patch_format is PatchFormat.JSON_PATCH:
        patched = apply_json_patch(resource, payload)
    else:
        patched = apply_json_patch_query(resource, payload)
    if not isinstance(patched, dict):
        # Only a JSON Patch on the root ("" path) can get here.
        raise InvalidPatch("the patched customer must be a JSON object")
    check_non_patchable(resource, patched)
    return patched
