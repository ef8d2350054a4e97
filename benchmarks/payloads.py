"""The seed's documents the benchmark sends: its Customer create request and its merge patch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

PATCHED_NAME = "Sun Football Club"
"""The name every customer has after the benchmark's merge patch (what list pages filter on)."""


def _example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((_EXAMPLES / f"{name}.json").read_text("utf-8"))
    return document


def customer_create_request() -> dict[str, Any]:
    """The seed's createCustomer value: an organization with two contact media and a payer."""
    return _example("create-customer")


def customer_merge_patch() -> dict[str, Any]:
    """The seed's merge patch: a new name and another engaged party."""
    patch = _example("merge-patch")
    if patch["name"] != PATCHED_NAME:
        raise ValueError("examples/merge-patch.json no longer renames to PATCHED_NAME")
    return patch
