"""The seed's example payloads (TMF629 v5 Async, seed 002), with its JSON typos mended."""

from __future__ import annotations

import copy
from typing import Any

_VALID_FOR = {"startDateTime": "2018-06-12T00:00:00Z", "endDateTime": "2019-01-01T00:00:00Z"}
_PARTY_TOPIC = "kafka://host/{prefix}.partyManagement.v5.retrieveOrganization.commandRequest"

CREATE_REQUEST: dict[str, Any] = {
    "@type": "Customer",
    "name": "Moon Football Club",
    "engagedParty": {
        "@type": "PartyRef",
        "href": "https://host:port/tmf-api/partyManagement/v5/organization/500",
        "id": "500",
        "name": "Happy Travellers",
        "@referredType": "Organization",
        "topicRef": _PARTY_TOPIC,
    },
    "contactMedium": [
        {
            "@type": "PhoneContactMedium",
            "preferred": True,
            "contactType": "homePhone",
            "validFor": _VALID_FOR,
            "phoneNumber": "01 09 75 83 51",
        },
        {
            "@type": "GeographicAddressContactMedium",
            "preferred": False,
            "contactType": "homeAddress",
            "validFor": _VALID_FOR,
            "city": "Paris",
            "country": "France",
            "postCode": "75014",
            "street1": "15 Rue des Canards",
        },
    ],
    "relatedParty": [
        {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "role": "bill receiver",
            "partyOrPartyRole": {
                "@type": "PartyRef",
                "href": "https://host:port/tmf-api/partyManagement/v5/organization/2777",
                "id": "2777",
                "name": "John Doe (Accounting) Ltd",
                "@referredType": "Organization",
                "topicRef": _PARTY_TOPIC,
            },
        }
    ],
}

NEW_ENGAGED_PARTY: dict[str, Any] = {
    "@type": "PartyRef",
    "href": "https://host:port/tmf-api/partyManagement/v5/organization/237",
    "id": "237",
    "name": "Another Long Distance Travellers",
    "@referredType": "Organization",
    "topicRef": _PARTY_TOPIC,
}

MERGE_PATCH: dict[str, Any] = {
    "@type": "Customer",
    "name": "Sun Football Club",
    "engagedParty": NEW_ENGAGED_PARTY,
}

JSON_PATCH: list[dict[str, Any]] = [
    {"op": "replace", "path": "/name", "value": "Sun Football Club"},
    {"op": "replace", "path": "/engagedParty", "value": NEW_ENGAGED_PARTY},
]

JSON_PATCH_QUERY: list[dict[str, Any]] = [
    {"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": True}
]


def create_request(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the seed's create payload, with top-level attributes changed."""
    payload = copy.deepcopy(CREATE_REQUEST)
    payload.update(changes)
    return payload
