"""The seed's documents the benchmark sends: its Customer create request and its merge patch."""

from __future__ import annotations

from typing import Any

_HOST = "https://host:port/tmf-api"
_PARTY_TOPIC = "kafka://host/{prefix}.partyManagement.v5.retrieveOrganization.commandRequest"
_PERIOD = {"startDateTime": "2018-06-12T00:00:00Z", "endDateTime": "2019-01-01T00:00:00Z"}

PATCHED_NAME = "Sun Football Club"
"""The name every customer has after the benchmark's merge patch (what list pages filter on)."""


def _organization(number: str, name: str) -> dict[str, Any]:
    return {
        "@type": "PartyRef",
        "href": f"{_HOST}/partyManagement/v5/organization/{number}",
        "id": number,
        "name": name,
        "@referredType": "Organization",
        "topicRef": _PARTY_TOPIC,
    }


def customer_create_request() -> dict[str, Any]:
    """The seed's createCustomer value: an organization with two contact media and a payer."""
    return {
        "@type": "Customer",
        "name": "Moon Football Club",
        "engagedParty": _organization("500", "Happy Travellers"),
        "contactMedium": [
            {
                "@type": "PhoneContactMedium",
                "preferred": True,
                "contactType": "homePhone",
                "validFor": dict(_PERIOD),
                "phoneNumber": "01 09 75 83 51",
            },
            {
                "@type": "GeographicAddressContactMedium",
                "preferred": False,
                "contactType": "homeAddress",
                "validFor": dict(_PERIOD),
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
                "partyOrPartyRole": _organization("2777", "John Doe (Accounting) Ltd"),
            }
        ],
    }


def customer_merge_patch() -> dict[str, Any]:
    """The seed's merge patch: a new name and another engaged party."""
    return {
        "@type": "Customer",
        "name": PATCHED_NAME,
        "engagedParty": _organization("237", "Another Long Distance Travellers"),
    }


def stored_customer(customer_id: str) -> dict[str, Any]:
    """A document shaped and sized like the one the service stores for the seed's create."""
    return {
        "_id": customer_id,
        "id": customer_id,
        "href": f"http://localhost:8080/tmf-api/customerManagement/v5/customer/{customer_id}",
        **customer_create_request(),
        "status": "Created",
        "topicRef": "kafka://localhost/tmf.customerManagement.v5.retrieveCustomer.commandRequest",
        "_version": 1,
    }
