"""The delivery protocol: how a write is applied once, answered the same and published in order,
whatever fails in between.

- `record`: a customer with the bookkeeping that keeps the promises (version, remembered replies,
  outbox, tombstone);
- `writes`: the write path (read, decide, conditional write, publish);
- `ledger`: the stamps on outboxes, and which of them each run has published;
- `sweep`: publishing what nobody published, recovering gone runs, purging tombstones, reaping
  expired leases;
- `lease`: one writer per customer on a server without isolated updates;
- `lanes`: one customer's requests in arrival order inside an instance;
- `retry`: the one retry policy for a dependency that may be away;
- `storage`: the interface the protocol needs from a store (`store.CustomerStore` on MongoDB and
  FerretDB; an in-memory one with injected faults drives the simulation in tests/protocol);
- `clock`: time, so a simulation can run it virtually.
"""
