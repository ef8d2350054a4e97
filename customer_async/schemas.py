"""JSON Schema validation: the files in `schemas/` are the single source of what a document holds.

Nothing is read at import. A `SchemaRegistry` loads every `*.schema.json` on first use, compiles
each validator once, and answers three questions: does this document validate (`validate`), which
attribute paths does the Customer have and of what type (`attribute_types`), and where do the
schemas live (`schema_directory`). jsonschema's errors become `SchemaViolation` here, never leaking.

Validation is on every request's hot path, so a document is first checked by jsonschema-rs (the
same schemas compiled in Rust, about 35 times faster here); only a document it refuses goes
through jsonschema, whose best-matching error names the JSON path in the reply.
tests/test_schemas_agreement.py keeps the two in agreement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast
from urllib.parse import urldefrag, urljoin

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, best_match
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from customer_async.errors import InternalError, SchemaViolation
from customer_async.types import JSON

SCHEMA_BASE_URI = "https://customer-async.example/schemas/"
"""Every schema's `$id` is this base plus its file name; `$ref`s between files are relative."""

SCHEMA_SUFFIX = ".schema.json"

AttributeType: TypeAlias = Literal[
    "string", "date-time", "integer", "number", "boolean", "object", "array", "any"
]
"""How a filter compares an attribute: its JSON Schema type, with date-time strings apart."""

_ERRORS_CONSIDERED = 32  # a refusal's message names the best of the first errors found
_MAX_MESSAGE_CHARS = 300  # jsonschema messages quote the instance, which may be a whole document
_QUOTED_INSTANCE_CHARS = 80  # how much of a long quoted instance a message keeps
_SIMPLE_KEY = re.compile(r"[@A-Za-z_][A-Za-z0-9_]*")
_RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:(?P<second>[0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_PYTHON_TO_JSON: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)
_JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array"})
_MAX_ATTRIBUTE_DEPTH = 16  # far deeper than the Customer model; only a recursive schema gets there


def schema_directory() -> Path:
    """The directory holding the `*.schema.json` files.

    An installed wheel carries them as `customer_async/_schemas`; a source checkout has them in
    the repository's `schemas/`. The package copy wins so an installed service never reads a
    stray checkout.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / "_schemas", package.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise InternalError("the JSON Schema directory is missing from the installation")


def json_path(path: Iterable[str | int]) -> str:
    """A JSONPath for a location in a document, e.g. `$.contactMedium[0].emailAddress`.

    Keys that are not plain names (`$x`, `a.b`, `X-Total-Count`) are bracketed so the path
    stays unambiguous.
    """
    parts = ["$"]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _SIMPLE_KEY.fullmatch(step):
            parts.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


def is_rfc3339_date_time(value: object) -> bool:
    """The `date-time` format: an RFC 3339 timestamp with a real calendar date and an offset.

    Values that are not strings pass, as JSON Schema formats only constrain strings.
    """
    return not isinstance(value, str) or _is_rfc3339_date_time(value)


@lru_cache(maxsize=1024)
def _is_rfc3339_date_time(value: str) -> bool:
    """`is_rfc3339_date_time` of a string, remembered for the last thousand: customers repeat
    the same few dates (validity periods), and each is checked by a call from Rust into Python."""
    match = _RFC3339_DATE_TIME.fullmatch(value)
    if match is None:
        return False
    # RFC 3339 allows a leap second, which datetime cannot represent.
    second = "59" if match["second"] == "60" else match["second"]
    normalized = value[: match.start("second")] + second + value[match.end("second") :]
    try:
        datetime.fromisoformat(normalized.upper())
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    """Only the formats the schemas use, with no optional dependency behind them."""
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_rfc3339_date_time)
    return checker


def _shorten(message: str, instance: object = None) -> str:
    """At most `_MAX_MESSAGE_CHARS`, cutting the quoted instance first so the reason stays.

    `{...} is not of type 'string'` keeps `is not of type 'string'` however large the value.
    """
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    quoted = repr(instance)
    if len(quoted) > _QUOTED_INSTANCE_CHARS and quoted in message:
        message = message.replace(quoted, quoted[: _QUOTED_INSTANCE_CHARS - 1] + "…", 1)
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 1] + "…"


@dataclass
class _Node:
    """What a schema says about one location, gathered across `$ref`, `allOf`, `anyOf`, …."""

    types: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=set)
    properties: dict[str, list[tuple[Mapping[str, Any], str]]] = field(default_factory=dict)
    items: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)

    @property
    def kind(self) -> AttributeType:
        """The one type a filter compares this location as."""
        types = self.types - {"null"} or self.types
        if not types:
            return "object" if self.properties else "array" if self.items else "any"
        if types == {"integer", "number"}:
            types = {"number"}
        if len(types) > 1 or not types <= _JSON_TYPES:
            return "any"
        (only,) = types
        if only == "string" and self.formats == {"date-time"}:
            return "date-time"
        return cast(AttributeType, only)


class SchemaRegistry:
    """The schemas of one directory, loaded on first use, each validator compiled once."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast_validators: dict[str, jsonschema_rs.Validator] = {}
        self._attribute_types: dict[str, Mapping[str, AttributeType]] = {}

    @cached_property
    def directory(self) -> Path:
        """Where the schema files are read from."""
        return self._directory if self._directory is not None else schema_directory()

    @cached_property
    def _schemas(self) -> Mapping[str, Mapping[str, Any]]:
        schemas: dict[str, Mapping[str, Any]] = {}
        for path in sorted(self.directory.glob(f"*{SCHEMA_SUFFIX}")):
            name = path.name.removesuffix(SCHEMA_SUFFIX)
            try:
                contents = json.loads(path.read_text(encoding="utf-8"))
                Draft202012Validator.check_schema(contents)
            except (OSError, ValueError, SchemaError) as exc:
                raise InternalError(f"schema {path.name} cannot be loaded") from exc
            if contents.get("$id") != SCHEMA_BASE_URI + path.name:
                raise InternalError(f"schema {path.name} has $id {contents.get('$id')!r}")
            schemas[name] = contents
        if not schemas:
            raise InternalError(f"no JSON Schemas in {self.directory}")
        return MappingProxyType(schemas)

    @cached_property
    def _registry(self) -> Registry[Any]:
        resources = [
            (SCHEMA_BASE_URI + name + SCHEMA_SUFFIX, DRAFT202012.create_resource(contents))
            for name, contents in self._schemas.items()
        ]
        return Registry().with_resources(resources).crawl()

    @cached_property
    def _format_checker(self) -> FormatChecker:
        return _format_checker()

    @property
    def names(self) -> frozenset[str]:
        """The schema names (file stems), e.g. `Customer`, `CustomerCreateEvent`."""
        return frozenset(self._schemas)

    def schema(self, schema_name: str) -> Mapping[str, Any]:
        """The parsed contents of one schema file."""
        try:
            return self._schemas[schema_name]
        except KeyError:
            raise InternalError(f"no JSON Schema named {schema_name!r}") from None

    def validator(self, schema_name: str) -> Draft202012Validator:
        """The compiled validator for a schema, with `$ref`s resolved and formats checked."""
        validator = self._validators.get(schema_name)
        if validator is None:
            validator = Draft202012Validator(
                self.schema(schema_name),
                registry=self._registry,
                format_checker=self._format_checker,
            )
            self._validators[schema_name] = validator
        return validator

    @cached_property
    def _fast_registry(self) -> jsonschema_rs.Registry:
        return jsonschema_rs.Registry(
            [(SCHEMA_BASE_URI + name + SCHEMA_SUFFIX, dict(s)) for name, s in self._schemas.items()]
        )

    def fast_validator(self, schema_name: str) -> jsonschema_rs.Validator:
        """The schema compiled by jsonschema-rs, with the same format checks."""
        validator = self._fast_validators.get(schema_name)
        if validator is None:
            validator = jsonschema_rs.validator_for(
                dict(self.schema(schema_name)),
                registry=self._fast_registry,
                validate_formats=True,
                formats={"date-time": is_rfc3339_date_time},
                ignore_unknown_formats=True,
            )
            self._fast_validators[schema_name] = validator
        return validator

    def validate(self, schema_name: str, instance: JSON) -> None:
        """Raise `SchemaViolation` naming the JSON path of the most relevant error, if any."""
        if self.fast_validator(schema_name).is_valid(instance):
            return
        validator = self.validator(schema_name)
        try:
            # Bounded: choosing among every error of a long wrong array took seconds per request.
            error = best_match(islice(validator.iter_errors(instance), _ERRORS_CONSIDERED))
        except (Unresolvable, RecursionError) as exc:
            raise InternalError(f"schema {schema_name!r} could not be applied") from exc
        if error is not None:
            message = f"{json_path(error.absolute_path)}: {_shorten(error.message, error.instance)}"
            raise SchemaViolation(message) from error

    def attribute_types(self, schema_name: str = "Customer") -> Mapping[str, AttributeType]:
        """Every dotted attribute path of a schema and its type; arrays are transparent.

        `contactMedium` is an `array`, `contactMedium.city` a `string` (the sub-classes of a
        polymorphic item are merged), `validFor.startDateTime` a `date-time`.
        """
        cached = self._attribute_types.get(schema_name)
        if cached is None:
            found: dict[str, set[AttributeType]] = {}
            root = self._gather([(self.schema(schema_name), self._uri(schema_name))])
            self._collect(root, "", found, ())
            cached = MappingProxyType(
                {path: _merge_kinds(kinds) for path, kinds in sorted(found.items())}
            )
            self._attribute_types[schema_name] = cached
        return cached

    @staticmethod
    def _uri(schema_name: str) -> str:
        return SCHEMA_BASE_URI + schema_name + SCHEMA_SUFFIX

    def _collect(
        self,
        node: _Node,
        prefix: str,
        found: dict[str, set[AttributeType]],
        ancestry: tuple[frozenset[str], ...],
    ) -> None:
        identity = frozenset(node.refs)
        # A node made of the same schemas as an ancestor is a recursive schema: stop there.
        if (identity and identity in ancestry) or len(ancestry) > _MAX_ATTRIBUTE_DEPTH:
            return
        for name, branches in node.properties.items():
            path = prefix + name
            child = self._gather(branches)
            found.setdefault(path, set()).add(child.kind)
            self._collect(self._through_arrays(child), path + ".", found, (*ancestry, identity))

    def _through_arrays(self, node: _Node) -> _Node:
        """The node itself, or for an array the (merged) node of its innermost items."""
        while node.items and not node.properties:
            items = self._gather(node.items)
            items.refs |= node.refs
            node = items
        return node

    def _gather(self, branches: Iterable[tuple[Mapping[str, Any], str]]) -> _Node:
        """Merge what several subschemas say about one location, following `$ref`s."""
        node = _Node()
        for schema, base in branches:
            self._gather_into(node, schema, base, ())
        return node

    def _gather_into(
        self, node: _Node, schema: Mapping[str, Any], base: str, chain: tuple[str, ...]
    ) -> None:
        if not isinstance(schema, Mapping):
            return
        declared = schema.get("type")
        if isinstance(declared, str):
            node.types.add(declared)
        elif isinstance(declared, list):
            node.types.update(t for t in declared if isinstance(t, str))
        if "const" in schema and not declared:
            node.types.add(_json_type(schema["const"]))
        if isinstance(schema.get("format"), str):
            node.formats.add(schema["format"])
        for name, subschema in (schema.get("properties") or {}).items():
            node.properties.setdefault(name, []).append((subschema, base))
        if isinstance(schema.get("items"), Mapping):
            node.items.append((schema["items"], base))
        for subschema in _applied_subschemas(schema):
            self._gather_into(node, subschema, base, chain)
        reference = schema.get("$ref")
        if isinstance(reference, str):
            target = urljoin(base, reference)
            if target in chain:  # a recursive schema: its paths are already listed
                return
            try:
                resolved = self._registry.resolver(base_uri=base).lookup(reference)
            except Unresolvable as exc:
                raise InternalError(f"unresolvable $ref {reference!r} in {base}") from exc
            node.refs.add(target)
            self._gather_into(node, resolved.contents, urldefrag(target).url, (*chain, target))


def _applied_subschemas(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Subschemas that may apply to the same instance; `if` and `not` add no attributes."""
    for keyword in ("allOf", "anyOf", "oneOf"):
        yield from schema.get(keyword) or ()
    for keyword in ("then", "else"):
        if isinstance(schema.get(keyword), Mapping):
            yield schema[keyword]


def _json_type(value: JSON) -> str:
    """The JSON Schema type of a decoded JSON value (bool before int: bool is an int in Python)."""
    return next((name for kind, name in _PYTHON_TO_JSON if isinstance(value, kind)), "null")


def _merge_kinds(kinds: set[AttributeType]) -> AttributeType:
    """One type for a path declared in several places (e.g. by two contact medium sub-classes)."""
    if len(kinds) == 1:
        (only,) = kinds
        return only
    if kinds == {"integer", "number"}:
        return "number"
    return "any"


@cache
def default_registry() -> SchemaRegistry:
    """The process-wide registry over `schema_directory()`, made on first call."""
    return SchemaRegistry()


def validate(schema_name: str, instance: JSON) -> None:
    """Validate against a schema by name (`Customer_FVO`, `CustomerCreateEvent`, …).

    Raises `SchemaViolation` whose message starts with the JSON path of the error, e.g.
    `$.contactMedium[0].emailAddress: 5 is not of type 'string'`.
    """
    default_registry().validate(schema_name, instance)


def attribute_types() -> Mapping[str, AttributeType]:
    """Every dotted attribute path of the Customer and its type (see `SchemaRegistry`)."""
    return default_registry().attribute_types("Customer")
