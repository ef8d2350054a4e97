"""Hypothesis strategies: customers and valid list filters over a handful of attributes.

Values come from small shared pools so that generated filters often match generated customers,
and include the awkward cases: values starting with `$`, values containing a comma (only ever
sent inside a JSON array), case variants, and date-times written with mixed offsets and
precisions so that only chronological comparison gives the right answer.

`CUSTOMER_TYPES` is the attribute-type mapping these customers and filters live in; it agrees
with the Customer schema on every path it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st

CUSTOMER_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "id": "string",
        "href": "string",
        "@type": "string",
        "name": "string",
        "status": "string",
        "validFor": "object",
        "validFor.startDateTime": "date-time",
        "validFor.endDateTime": "date-time",
        "engagedParty": "object",
        "engagedParty.id": "string",
        "engagedParty.@referredType": "string",
        "contactMedium": "array",
        "contactMedium.@type": "string",
        "contactMedium.city": "string",
        "contactMedium.preferred": "boolean",
        "contactMedium.validFor": "object",
        "contactMedium.validFor.startDateTime": "date-time",
        "creditProfile": "array",
        "creditProfile.@type": "string",
        "creditProfile.creditScore": "integer",
        "creditProfile.creditProfileDate": "date-time",
    }
)

NAMES = ("Ann", "ann", "Anna", "Bob", "Émile", "Zoë", "a,b", "$where", "O'Brien", "")
STATUSES = ("Created", "Approved", "Validated", "Closed")
CITIES = ("Paris", "paris", "Lyon", "New York", "$ne", "Saint-Étienne, Loire")
CONTACT_TYPES = ("EmailContactMedium", "PhoneContactMedium", "GeographicAddressContactMedium")
PARTY_IDS = ("p1", "p2", "42", "$gt")
SCORES = (-1, 0, 1, 42, 300, 850, 1000)
REGEXES = ("^A", "n$", "[Pp]aris", "Y.rk", "^\\$", "o", "^$", "é", "(?i)^ann$", "a,b", "e{1,2}")

INSTANTS = (
    datetime(2023, 12, 31, 23, 0, tzinfo=UTC),
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
    datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 1, 0, tzinfo=UTC),
    datetime(2024, 6, 30, 12, 30, 15, 250000, tzinfo=UTC),
)
"""A few close instants (down to a millisecond apart), so that equality and order both occur."""

OFFSETS = tuple(timedelta(minutes=minutes) for minutes in (0, 60, -300, 330, 840, -720, 45, -59))

STRING_POOLS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "name": NAMES,
        "status": STATUSES,
        "engagedParty.id": PARTY_IDS,
        "contactMedium.city": CITIES,
        "contactMedium.@type": CONTACT_TYPES,
    }
)
DATE_PATHS = (
    "validFor.startDateTime",
    "validFor.endDateTime",
    "contactMedium.validFor.startDateTime",
    "creditProfile.creditProfileDate",
)


def instants() -> st.SearchStrategy[datetime]:
    """UTC instants to the millisecond: mostly the shared pool, sometimes any from 1990 to 2060."""
    anywhere = st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
    return st.one_of(st.sampled_from(INSTANTS), st.sampled_from(INSTANTS), anywhere)


@st.composite
def date_time_texts(
    draw: st.DrawFn, moment: datetime | None = None, *, seconds_optional: bool = False
) -> str:
    """An RFC 3339 text of an instant, with a random offset, `Z` or not, and precision.

    With `seconds_optional`, whole minutes may also be written without seconds (`…T10:00Z`),
    which filters accept but the `date-time` format of a resource does not.
    """
    if moment is None:
        moment = draw(instants())
    offset = draw(st.sampled_from(OFFSETS))
    local = moment.astimezone(timezone(offset))
    text = local.strftime("%Y-%m-%dT%H:%M")
    bare_minute = local.second == 0 and local.microsecond == 0
    if not (seconds_optional and bare_minute and draw(st.booleans())):
        text += local.strftime(":%S")
        digits = draw(st.sampled_from((0, 3, 6, 9)))
        if digits == 0 and local.microsecond:
            digits = 3
        if digits:
            text += "." + f"{local.microsecond:06d}{'0' * 3}"[:digits]
    if offset == timedelta(0) and draw(st.booleans()):
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def filter_date_texts() -> st.SearchStrategy[str]:
    """Date-time filter values: RFC 3339 texts, or a date alone (midnight UTC)."""
    return st.one_of(
        date_time_texts(seconds_optional=True),
        date_time_texts(seconds_optional=True),
        instants().map(lambda moment: moment.date().isoformat()),
    )


@st.composite
def contact_media(draw: st.DrawFn) -> dict[str, Any]:
    """A contact medium: `@type`, maybe `preferred`, a `city` for addresses, maybe `validFor`."""
    kind = draw(st.sampled_from(CONTACT_TYPES))
    medium: dict[str, Any] = {"@type": kind}
    if draw(st.booleans()):
        medium["preferred"] = draw(st.booleans())
    if kind == "GeographicAddressContactMedium":
        medium["city"] = draw(st.sampled_from(CITIES))
    elif kind == "EmailContactMedium":
        medium["emailAddress"] = "someone@example.com"
    else:
        medium["phoneNumber"] = "+33 1 23 45 67 89"
    if draw(st.booleans()):
        medium["validFor"] = {"startDateTime": draw(date_time_texts())}
    return medium


@st.composite
def credit_profiles(draw: st.DrawFn) -> dict[str, Any]:
    """A credit profile with an integer `creditScore` and maybe a `creditProfileDate`."""
    profile: dict[str, Any] = {
        "@type": "CreditProfile",
        "creditScore": draw(st.one_of(st.sampled_from(SCORES), st.integers(-(10**6), 10**6))),
    }
    if draw(st.booleans()):
        profile["creditProfileDate"] = draw(date_time_texts())
    return profile


@st.composite
def customers(draw: st.DrawFn, customer_id: str | None = None) -> dict[str, Any]:
    """A Customer resource as the store holds it (id given, or a random UUID)."""
    if customer_id is None:
        customer_id = str(draw(st.uuids()))
    customer: dict[str, Any] = {
        "id": customer_id,
        "href": f"http://localhost:8080/tmf-api/customerManagement/v5/customer/{customer_id}",
        "@type": "Customer",
        "name": draw(st.sampled_from(NAMES)),
        "engagedParty": {
            "id": draw(st.sampled_from(PARTY_IDS)),
            "@referredType": "Individual",
        },
    }
    if draw(st.booleans()):
        customer["status"] = draw(st.sampled_from(STATUSES))
    valid_for = {
        bound: draw(date_time_texts())
        for bound in ("startDateTime", "endDateTime")
        if draw(st.booleans())
    }
    if valid_for:
        customer["validFor"] = valid_for
    if draw(st.booleans()):
        customer["contactMedium"] = draw(st.lists(contact_media(), max_size=3))
    if draw(st.booleans()):
        customer["creditProfile"] = draw(st.lists(credit_profiles(), max_size=2))
    return customer


def _operators(kind: str) -> tuple[str, ...]:
    if kind == "string":
        return ("eq", "ne", "gt", "gte", "lt", "lte", "regex")
    if kind == "boolean":
        return ("eq", "ne")
    return ("eq", "ne", "gt", "gte", "lt", "lte")


def _values(path: str, kind: str, operator: str) -> st.SearchStrategy[Any]:
    """One filter value as a client may send it (text or native JSON)."""
    if operator == "regex":
        return st.sampled_from(REGEXES)
    if kind == "string":
        return st.sampled_from(STRING_POOLS[path])
    if kind == "date-time":
        return filter_date_texts()
    if kind == "integer":
        return st.sampled_from(SCORES).flatmap(lambda score: st.sampled_from((score, str(score))))
    return st.sampled_from((True, False, "true", "false"))


def _text(value: Any) -> str:
    """A value written as text, the way a console user would type it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@st.composite
def filter_values(draw: st.DrawFn, path: str, kind: str, operator: str) -> Any:
    """A filter value: one value, comma-separated values, or a JSON array of values."""
    values = _values(path, kind, operator)
    form = draw(st.sampled_from(("one", "comma", "array")))
    if form == "array":
        return draw(st.lists(values, min_size=1, max_size=3))
    texts = values.map(_text).filter(lambda text: "," not in text)
    if form == "comma":
        return ",".join(draw(st.lists(texts.filter(bool), min_size=2, max_size=3)))
    value = draw(values)
    return value if not isinstance(value, str) or "," not in value else draw(texts)


@st.composite
def filter_params(draw: st.DrawFn, types: Mapping[str, str] = CUSTOMER_TYPES) -> dict[str, Any]:
    """A valid filter over `CUSTOMER_TYPES`: one to three keys, each with an operator and value."""
    paths = [*STRING_POOLS, *DATE_PATHS, "contactMedium.preferred", "creditProfile.creditScore"]
    params: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        kind = types[path]
        operator = draw(st.sampled_from(_operators(kind)))
        key = path if operator == "eq" and draw(st.booleans()) else f"{path}.{operator}"
        params[key] = draw(filter_values(path, kind, operator))
    return params
