"""Customer 1140 of the seed (TMF629 v5 Async, "Retrieves a Customer by ID"), before any patch.

Taken from the seed's retrieve reply; its patch examples start from this state. The seed's
typos are fixed: `@REFERREDTYPE` and `@preferredType` are `@referredType`.
"""

from __future__ import annotations

import copy

import pytest

from customer_async.types import Document

_KAFKA = "kafka://host/{prefix}"

CUSTOMER_1140: Document = {
    "@type": "Customer",
    "href": "https://host:port/tmf-api/customerManagement/v5/customer/1140",
    "id": "1140",
    "name": "Moon Football Club",
    "status": "Created",
    "engagedParty": {
        "@type": "PartyRef",
        "href": "https://host:port/tmf-api/partyManagement/v5/organization/500",
        "id": "500",
        "name": "Happy Travellers",
        "@referredType": "Organization",
        "topicRef": f"{_KAFKA}.partyManagement.v5.retrieveOrganization.commandRequest",
    },
    "contactMedium": [
        {
            "@type": "PhoneContactMedium",
            "preferred": True,
            "contactType": "homePhone",
            "validFor": {
                "startDateTime": "2018-06-12T00:00:00Z",
                "endDateTime": "2019-01-01T00:00:00Z",
            },
            "phoneNumber": "01 09 75 83 51",
        },
        {
            "@type": "GeographicAddressContactMedium",
            "preferred": False,
            "contactType": "homeAddress",
            "validFor": {
                "startDateTime": "2018-06-12T00:00:00Z",
                "endDateTime": "2019-01-01T00:00:00Z",
            },
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
                "topicRef": f"{_KAFKA}.partyManagement.v5.retrieveOrganization.commandRequest",
            },
        }
    ],
    "topicRef": f"{_KAFKA}.customerManagement.v5.retrieveCustomer.commandRequest",
}


@pytest.fixture
def customer_1140() -> Document:
    """A fresh copy of customer 1140, so no test sees another's changes."""
    return copy.deepcopy(CUSTOMER_1140)
