"""The seed's example payloads (TMF629 v5 Async, seed 002), read from `examples/`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> Any:
    """A fresh copy of `examples/<name>.json`."""
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


CREATE_REQUEST: dict[str, Any] = load("create-customer")
CUSTOMER_1140: dict[str, Any] = load("customer-1140")
MERGE_PATCH: dict[str, Any] = load("merge-patch")
JSON_PATCH: list[dict[str, Any]] = load("json-patch")
JSON_PATCH_QUERY: list[dict[str, Any]] = load("json-patch-query")
NEW_ENGAGED_PARTY: dict[str, Any] = MERGE_PATCH["engagedParty"]


def create_request(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the seed's create payload, with top-level attributes changed."""
    payload = copy.deepcopy(CREATE_REQUEST)
    payload.update(changes)
    return payload
