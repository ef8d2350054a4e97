"""The configuration reference page, rendered from `Settings`' own field descriptions.

`docs/configuration.md` is this module's output, so the page cannot drift from the code;
`tests/test_settings_docs.py` fails when it does. Regenerate with:

    .venv/bin/python -m customer_async.settings_docs > docs/configuration.md
"""

from __future__ import annotations

import sys
import types
from typing import Literal, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from customer_async.settings import Settings

REGENERATE = ".venv/bin/python -m customer_async.settings_docs > docs/configuration.md"

_INTRO = """\
# Configuration

All settings are environment variables (`customer-async settings` prints the effective values,
secrets masked). Names are `CUSTOMER_ASYNC_` and the field's name in capitals; the
[client and CLI](client.md) read `CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS` and
`CUSTOMER_ASYNC_TOPIC_PREFIX` too. Security settings are explained under [Security](security.md),
the operations port, logs and tracing under [Operations](operations.md), and what the delivery
settings keep under [Delivery](delivery.md).

<!-- Generated from customer_async/settings.py by `{command}`; edit the descriptions there. -->

| variable | default | allowed | description |
|---|---|---|---|
"""


def configuration_page() -> str:
    """The whole Markdown page: an introduction and one table row per setting."""
    rows = [_row(name, field) for name, field in Settings.model_fields.items()]
    return _INTRO.format(command=REGENERATE) + "\n".join(rows) + "\n"


def _row(name: str, field: FieldInfo) -> str:
    description = field.description or ""
    if _is_secret(field.annotation):
        description += " A secret: printed masked, never logged."
    cells = [f"`CUSTOMER_ASYNC_{name.upper()}`", _default(field), _allowed(field), description]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def _allowed(field: FieldInfo) -> str:
    choices = [arg for arg in _flatten(field.annotation) if get_origin(arg) is Literal]
    if choices:
        return ", ".join(f"`{choice}`" for literal in choices for choice in get_args(literal))
    bounds = []
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Ge):
            bounds.append(f"≥ {constraint.ge}")
        elif isinstance(constraint, annotated_types.Gt):
            bounds.append(f"> {constraint.gt}")
        elif isinstance(constraint, annotated_types.Le):
            bounds.append(f"≤ {constraint.le}")
        elif isinstance(constraint, annotated_types.Lt):
            bounds.append(f"< {constraint.lt}")
    return ", ".join(bounds)


def _flatten(annotation: object) -> list[object]:
    """`A | B | None` → [A, B, NoneType]; any other annotation → [it]."""
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def _is_secret(annotation: object) -> bool:
    return SecretStr in _flatten(annotation)


def _cell(text: str) -> str:
    # A pipe would end the cell, even inside a code span.
    return text.replace("|", "\\|")


if __name__ == "__main__":
    sys.stdout.write(configuration_page())
