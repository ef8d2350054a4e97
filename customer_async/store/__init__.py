"""The customer store on PyMongo's async API; the only package that imports pymongo.

One document per customer, its resource at the top level and its bookkeeping in `_`-prefixed
fields beside it; a write is one read and one conditional write of that document, and what it
published is recorded in its run's ledger, one small document per running instance.

Only single-document atomic writes, unique indexes, findAndModify and simple
find/sort/skip/limit/count are used: what MongoDB and FerretDB both do
(tests/infrastructure/test_store_capabilities.py proves each on the server under test).
FerretDB v1 lacks `$pull` by condition, `$push` with `$slice` and findAndModify with a projection;
none is used (bounded arrays are computed here and `$set` whole).

- `customers`: `CustomerStore`, the owner: the client, the retry policy, the writes;
- `mapping`: a `CustomerRecord` as its stored document, and back (pure);
- `leases`: the writer leases' collection, on FerretDB (the protocol is `protocol/lease.py`);
- `ledgers`: the runs' ledgers' collection (the protocol is `protocol/ledger.py`);
- `recent`: the customers this instance wrote last, the first read of its next write;
- `queries`: a customer's resource, a page of a list and its count;
- `pushdown`: a filter rewritten for what FerretDB hands PostgreSQL (pure);
- `lists`: lists on FerretDB, read an id bucket at a time;
- `indexes`: the indexes those reads use, per server;
- `errors`: which store errors are an outage (retried) and which are an answer.
"""

from customer_async.store.customers import CustomerStore, CustomerWriter
from customer_async.store.indexes import FILTER_INDEXES, SHADOW_INDEXES
from customer_async.store.mapping import INTERNAL_PREFIX, to_resource
from customer_async.store.queries import Page, StoredCustomer

__all__ = [
    "FILTER_INDEXES",
    "INTERNAL_PREFIX",
    "SHADOW_INDEXES",
    "CustomerStore",
    "CustomerWriter",
    "Page",
    "StoredCustomer",
    "to_resource",
]
