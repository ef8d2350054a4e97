"""What `asyncapi.yaml` declares, so tests check replies and events against exactly that."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ASYNCAPI_PATH = Path(__file__).resolve().parent.parent / "asyncapi.yaml"
SCHEMA_REF_PREFIX = "./schemas/"
SCHEMA_SUFFIX = ".schema.json"


@cache
def asyncapi_document() -> Mapping[str, Any]:
    """The parsed `asyncapi.yaml` (read once per test session)."""
    with ASYNCAPI_PATH.open(encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    if not isinstance(document, dict):
        raise TypeError(f"{ASYNCAPI_PATH} is not a YAML mapping")
    return document


def resolve_local(ref: str) -> Any:
    """The node a document-local `$ref` (`#/components/messages/…`) points to."""
    if not ref.startswith("#/"):
        raise ValueError(f"not a document-local reference: {ref!r}")
    node: Any = asyncapi_document()
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            raise KeyError(f"{ref!r} does not resolve in {ASYNCAPI_PATH.name} (at {key!r})")
        node = node[key]
    return node


def dereference(node: Any) -> Any:
    """Follow document-local `$ref`s until a node that is not a local reference."""
    while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/"):
        node = resolve_local(node["$ref"])
    return node


def schema_names(schema: Any) -> list[str]:
    """File stems of the `./schemas/…` files a payload or headers schema names, in order.

    A plain reference gives one name; `oneOf`/`anyOf` of references give one each.
    """
    schema = dereference(schema)
    if not isinstance(schema, Mapping):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
        file_name = ref.removeprefix(SCHEMA_REF_PREFIX).partition("#")[0]
        return [file_name.removesuffix(SCHEMA_SUFFIX)]
    names: list[str] = []
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword) or ():
            names.extend(name for name in schema_names(branch) if name not in names)
    return names


def _declared_messages(operation_or_event: str) -> Iterator[Mapping[str, Any]]:
    """The messages of an operation's reply (or of a send operation), or one named event."""
    operations: Mapping[str, Any] = asyncapi_document()["operations"]
    operation = operations.get(operation_or_event)
    if operation is not None:
        refs = (operation.get("reply") or operation)["messages"]
        yield from (dereference(ref) for ref in refs)
        return
    for candidate in operations.values():
        if candidate["action"] != "send":
            continue
        for ref in candidate["messages"]:
            message = dereference(ref)
            if message.get("name") == operation_or_event:
                yield message
                return
    raise KeyError(f"{operation_or_event!r} is neither an operation nor a published event")


def payload_schema_names(operation_or_event: str) -> list[str]:
    """Schema names a reply or notification may validate against, as `asyncapi.yaml` says.

    `retrieveCustomer`, `listCustomer`, `createCustomer`, `patchCustomer`, `deleteCustomer`
    give the payload schemas of the operation's reply message (e.g. `["Customer", "Error"]`);
    `publishCustomerEvent` gives the four events; an event name such as
    `CustomerCreateEvent` gives that event's schema.
    """
    names: list[str] = []
    for message in _declared_messages(operation_or_event):
        names.extend(name for name in schema_names(message.get("payload")) if name not in names)
    return names


def header_schema_names(operation_or_event: str) -> list[str]:
    """Like `payload_schema_names`, for the messages' headers (`ReplyHeaders`, …)."""
    names: list[str] = []
    for message in _declared_messages(operation_or_event):
        names.extend(name for name in schema_names(message.get("headers")) if name not in names)
    return names
