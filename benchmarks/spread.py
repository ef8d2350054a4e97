"""Spread values for bulk-loaded customers, and what is stored, to know each list's answer.

A store that keeps one customer a thousand times answers a filter differently from one that
keeps a thousand customers: every bulk-loaded customer gets a name of its own ("Lyon Bakery
000123": one of 10 cities, one of 10 trades, a serial), one of 10 statuses (about 10 % each)
and one of 100 engaged parties (about 1 % each), drawn from a seeded generator, so every run
loads the same spread. The model remembers each stored customer's three values, and the merge
patch the scale phase applies, so a list's exact total and page are known before it is sent.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchmarks.payloads import customer_merge_patch

CITIES = ("Lyon", "Paris", "Nantes", "Lille", "Nice", "Porto", "Bergen", "Ghent", "Graz", "Turin")
TRADES = (
    "Bakery",
    "Logistics",
    "Travel",
    "Pharmacy",
    "Garage",
    "Dental",
    "Books",
    "Florist",
    "Brewery",
    "Optics",
)
STATUSES = (
    "Created",
    "Initialized",
    "Validated",
    "Approved",
    "Active",
    "Suspended",
    "Inactive",
    "Closed",
    "Rejected",
    "Archived",
)
PARTIES = tuple(str(1000 + number) for number in range(100))
"""Engaged parties' ids: none is the seed's ("500"), the merge patch's ("237") or the scale
phase's own party."""
PARTY_ID = "benchmark-scale-party"
PARTY_CUSTOMERS = 25
"""Customers engaged with `PARTY_ID`, at every size: a nested equality with the same few matches
however many customers are stored (the scale phase's list and the `engagedParty.id` list kind)."""
_SEED = 629


@dataclass(slots=True)
class Spread:
    """One stored customer's values the lists filter and sort on."""

    name: str
    status: str
    party: str


def name_prefix(name: str) -> str:
    """The city and trade a spread name starts with: what `name.regex=^…` lists go through."""
    return " ".join(name.split(" ")[:2])


class StoredSpread:
    """The spread values of every customer loaded (and patched) since the last `clear`."""

    def __init__(self) -> None:
        self._rng = random.Random(_SEED)
        self.customers: dict[str, Spread] = {}
        patch = customer_merge_patch()
        self._patched_name = str(patch["name"])
        self._patched_party = str(patch["engagedParty"]["id"])

    def clear(self) -> None:
        """Nothing is stored; the draw starts again from its seed."""
        self._rng = random.Random(_SEED)
        self.customers = {}

    def draw(self, customer_id: str, party: str | None = None) -> Spread:
        """The values of the next customer loaded (its party given, or drawn), remembered."""
        serial = len(self.customers)
        spread = Spread(
            name=f"{self._rng.choice(CITIES)} {self._rng.choice(TRADES)} {serial:06d}",
            status=self._rng.choice(STATUSES),
            party=party if party is not None else self._rng.choice(PARTIES),
        )
        self.customers[customer_id] = spread
        return spread

    def patched(self, customer_id: str) -> None:
        """The scale phase's merge patch reached this customer: a new name and party."""
        spread = self.customers[customer_id]
        spread.name = self._patched_name
        spread.party = self._patched_party

    def counts(self, attribute: str) -> Counter[str]:
        """How many stored customers have each value of `attribute` (name, status, party)."""
        return Counter(getattr(spread, attribute) for spread in self.customers.values())


def spread_attributes(spread: Spread, party_template: dict[str, Any]) -> dict[str, Any]:
    """The top-level attributes that give a stored customer its spread values."""
    return {
        "name": spread.name,
        "status": spread.status,
        "engagedParty": {**party_template, "id": spread.party, "name": f"Party {spread.party}"},
    }
