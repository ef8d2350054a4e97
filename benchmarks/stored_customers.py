"""The one place that knows how the service lays a customer out in the store.

The store ceilings and the scale phase write customers straight into the store, so they must
look like what `CustomerStore.insert` writes (customer_async/store/mapping.py, `to_document`):
`_id`, the resource's attributes at the top level, `_version`, the `_dt` shadow (date-times,
id buckets and flat values: query/shadow.py, computed for each customer's own id), and
the bookkeeping of a settled, live customer: nothing left in `_outbox`, no `_deletedAt` (and a
false `_tombstone` mark), and no remembered replies in `_applied` (the service keeps a create's
reply there as a small mark until later writes push it out; a long-stored customer has none).
The resource and its shadow come from the service's own functions; when the service changes how
it stores a customer, change `StoredCustomers.document` (and `CUSTOMER_COLLECTION`) to match, and
nothing else (`tests/benchmarks/test_stored_customers.py` compares the fields).
"""

from __future__ import annotations

from typing import Any

from benchmarks.payloads import customer_create_request
from customer_async import schemas
from customer_async.handlers.create import new_customer
from customer_async.query.shadow import customer_shadow
from customer_async.settings import Settings

CUSTOMER_COLLECTION = "customer"
"""The collection of the service's database that holds one document per customer."""

_TEMPLATE_ID = "00000000-0000-0000-0000-000000000000"


class StoredCustomers:
    """Makes stored documents of the seed's Customer (as created by the service) by id."""

    def __init__(self, settings: Settings) -> None:
        resource = new_customer(customer_create_request(), _TEMPLATE_ID, settings)
        self._settings = settings
        self._resource = resource
        self._types = schemas.attribute_types()

    def document(self, customer_id: str, **attributes: Any) -> dict[str, Any]:
        """The document the service stores for the seed's create with this id, settled.

        `attributes` replace top-level attributes of the resource (e.g. another engagedParty).
        Nested values are shared between documents, which is safe for inserting them.
        """
        resource = {
            **self._resource,
            "id": customer_id,
            "href": self._settings.customer_href(customer_id),
            **attributes,
        }
        return {
            "_id": customer_id,
            **resource,
            "_version": 1,
            "_dt": customer_shadow(resource, self._types),
            "_applied": [],
            "_outbox": [],
            "_stamp": None,
            "_pending": False,
            "_deletedAt": None,
            "_tombstone": False,
        }
