"""Date-times as instants: parsing ISO 8601 text, and the `_dt` date shadow of a customer.

Date-times travel as JSON strings whose text does not sort chronologically (offsets, precision),
so the store keeps beside each customer a shadow tree holding only its date-time attributes as
UTC `datetime` values; filters and sorts on date-times go there. Values are truncated to whole
milliseconds, the precision of a BSON date, so what Python compares is what the store compares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from customer_async.types import Document

_ISO_8601 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.(?P<fraction>[0-9]+))?)?)"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def parse_datetime(text: str) -> datetime:
    """The instant `text` names, as an aware UTC `datetime` truncated to milliseconds.

    Accepts `YYYY-MM-DD` (midnight UTC) and `YYYY-MM-DDThh:mm[:ss[.fraction]]` with `Z` or a
    `±hh:mm` offset; a time without an offset is taken as UTC. Anything else: `ValueError`.
    """
    match = _ISO_8601.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    date, time, fraction, offset = match.group("date", "time", "fraction", "offset")
    if time is None:
        time = "00:00"
    if fraction is not None:
        # fromisoformat wants at most 6 digits; precision below a millisecond is dropped anyway
        time = time[: -len(fraction)] + fraction[:6]
    if offset is None or offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        parsed = datetime.fromisoformat(f"{date}T{time}{offset}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not a valid date-time") from exc
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def date_shadow(resource: Mapping[str, Any], types: Mapping[str, str]) -> Document:
    """The `_dt` tree of `resource`: its date-time attributes only, as UTC `datetime` values.

    The tree mirrors the resource: objects stay objects, arrays stay arrays (an element without
    dates becomes `{}`), branches without any date are left out. `types` maps dotted attribute
    paths (arrays transparent) to schema types; a value at a `date-time` path that does not
    parse is left out (schema validation rejects such values before they are stored).
    """
    return _shadow_object(resource, "", types)


def _shadow_object(obj: Mapping[str, Any], prefix: str, types: Mapping[str, str]) -> Document:
    shadow: Document = {}
    for key, value in obj.items():
        branch = _shadow_value(value, f"{prefix}{key}", types)
        if branch is not None:
            shadow[key] = branch
    return shadow


def _shadow_value(value: Any, path: str, types: Mapping[str, str]) -> Any:
    """The shadow of one value at `path`, or None when it holds no date."""
    if types.get(path) == "date-time":
        return _instants(value)
    if isinstance(value, Mapping):
        return _shadow_object(value, f"{path}.", types) or None
    if isinstance(value, list):
        items = [_shadow_value(item, path, types) for item in value]
        if all(item is None for item in items):
            return None
        return [{} if item is None else item for item in items]
    return None


def _instants(value: Any) -> datetime | list[datetime] | None:
    """A date-time value (or an array of them) as instants; unparseable values are dropped."""
    if isinstance(value, list):
        instants = [instant for item in value if (instant := _instant(item)) is not None]
        return instants or None
    return _instant(value)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
