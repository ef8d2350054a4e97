"""The attributes a patch may not change: `id`, `href` and `@type`.

Sending the current value is allowed (a merge patch often echoes `@type`, as the seed's example
does); a different value, or removing the attribute, is `NonPatchableAttribute` (400).
"""

from __future__ import annotations

from customer_async.errors import NonPatchableAttribute
from customer_async.patch.changes import json_equal
from customer_async.types import Document

NON_PATCHABLE_ATTRIBUTES = ("id", "href", "@type")
"""Set by the server at create (`id`, `href`) or fixing the resource's class (`@type`)."""


def check_non_patchable(before: Document, after: Document) -> None:
    """Raise `NonPatchableAttribute` naming the first of `id`, `href`, `@type` that changed."""
    for name in NON_PATCHABLE_ATTRIBUTES:
        if name not in before and name not in after:
            continue
        if name not in after:
            raise NonPatchableAttribute(f"{name!r} cannot be removed by a patch")
        if name not in before or not json_equal(before[name], after[name]):
            raise NonPatchableAttribute(f"{name!r} cannot be changed by a patch")
