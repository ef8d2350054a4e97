"""RFC 7386 JSON Merge Patch.

A member whose patch value is `null` is removed (at any depth), an object patch value is merged
into the target member recursively, and anything else (arrays included) replaces the target member
whole. A patch that is not an object replaces the whole target; the caller makes sure a customer's
top-level patch is an object (see `media_types.resolve_patch_format`).
"""

from __future__ import annotations

import copy

import json_merge_patch

from customer_async.types import JSON


def apply_merge_patch(target: JSON, patch: JSON) -> JSON:
    """`MergePatch(target, patch)` of RFC 7386; neither argument is changed.

    The result shares no mutable value with `target` or `patch`.
    """
    # json_merge_patch merges into its first argument in place and puts the patch's own lists
    # into the result, so both go in as copies.
    return json_merge_patch.merge(copy.deepcopy(target), copy.deepcopy(patch))
