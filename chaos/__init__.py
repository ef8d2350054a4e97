"""The chaos run (`scripts/chaos`): the service under faults, on a private stack, with its figures.

Two service instances share one consumer group on a stack of the run's own (Kafka, FerretDB,
PostgreSQL on free loopback ports), as dynamic members (the default) or static ones; `both` runs
the two modes one after the other, each on a fresh stack. A workload creates customers, patches
each four times in order and deletes some, 64 requests in flight, resending what stays
unanswered with the same `X-Correlation-Id`; meanwhile instances are killed and restarted, the
broker restarted, the store frozen and killed, the database under it killed, an instance crashes
between a write and its publish, and malformed records are mixed in. At the end the invariants
of the delivery contract are checked on everything seen and on the store's leftovers.

Modules: `scenario` (what to run), `instances` (the service children), `wire` and `ledger` (Kafka
in and out, and the record of it), `workload` and `malformed` (the requests), `faults` (injection
and recovery), `final_state` (read back through the client), `leftovers` (the store's
bookkeeping, read directly), `invariants`, `figures` and `report`; `run` ties one mode together.
The private stack, the child processes and the run's topics are the harness's (`harness/`).
"""
