"""The seed's four "Updates partially a Customer" examples, applied to customer 1140."""

from __future__ import annotations

import copy

import pytest

from customer_async.patch import apply_patch, changed_attributes
from customer_async.types import Document
from tests.patch.conftest import CUSTOMER_1140

ENGAGED_PARTY_237 = {
    "@type": "PartyRef",
    "href": "https://host:port/tmf-api/partyManagement/v5/organization/237",
    "id": "237",
    "name": "Another Long Distance Travellers",
    "@referredType": "Organization",
    "topicRef": "kafka://host/{prefix}.partyManagement.v5.retrieveOrganization.commandRequest",
}

RENAMED_PAYLOAD = {
    "@type": "Customer",
    "name": "Sun Football Club",
    "engagedParty": ENGAGED_PARTY_237,
}


def renamed_1140() -> Document:
    """The reply the seed shows for its JSON, merge patch and JSON Patch examples."""
    expected = copy.deepcopy(CUSTOMER_1140)
    expected["name"] = "Sun Football Club"
    expected["engagedParty"] = copy.deepcopy(ENGAGED_PARTY_237)
    return expected


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        pytest.param("application/json", RENAMED_PAYLOAD, id="PatchCustomerJsonRequest"),
        pytest.param(
            "application/merge-patch+json", RENAMED_PAYLOAD, id="PatchCustomerMergePatchRequest"
        ),
        pytest.param(
            "application/json-patch+json",
            [
                {"op": "replace", "path": "/name", "value": "Sun Football Club"},
                {"op": "replace", "path": "/engagedParty", "value": ENGAGED_PARTY_237},
            ],
            id="PatchCustomerJsonPatchRequest",
        ),
    ],
)
def test_seed_example_renames_1140_and_changes_its_engaged_party(
    customer_1140: Document, content_type: str, payload: object
) -> None:
    patched = apply_patch(customer_1140, content_type, copy.deepcopy(payload))

    assert patched == renamed_1140()
    assert customer_1140 == CUSTOMER_1140
    assert changed_attributes(customer_1140, patched) == {"name", "engagedParty"}


def test_seed_json_patch_query_example_prefers_the_paris_address(
    customer_1140: Document,
) -> None:
    """`/contactMedium/preferred?city=Paris` sets `preferred` on the address only."""
    payload = [{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": True}]

    patched = apply_patch(customer_1140, "application/json-patch-query+json", payload)

    expected = copy.deepcopy(CUSTOMER_1140)
    expected["contactMedium"][1]["preferred"] = True
    assert patched == expected
    phone, address = patched["contactMedium"]
    assert address["@type"] == "GeographicAddressContactMedium"
    assert address["preferred"] is True
    assert phone == CUSTOMER_1140["contactMedium"][0]
    assert changed_attributes(customer_1140, patched) == {"contactMedium"}
