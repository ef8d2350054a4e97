"""The harness: what drives the service from outside, shared by the benchmark (`benchmarks/`),
the chaos run (`chaos/`) and the tests (`tests/`).

- `repository`: `REPO`, the checkout's root (children run from it);
- `ports`: the loopback address and a free port on it;
- `proc`: a process seen from /proc (alive, children, CPU seconds, resident memory);
- `children`: a child process with its log, started by module name and stopped by its own pid,
  and the child's side (`serve_until_signalled`);
- `service`: the service as such a child (`python -m customer_async serve` with settings);
- `operations_port`: the service's operations port from outside (a bare HTTP GET, a gauge, the
  wait for its outbox to be published);
- `outbox`: the customers whose outbox is not published yet, read from the database;
- `private_stack`: `scripts/stack` on free ports with data of its own, to stop, freeze and kill;
- `topics`: creating and deleting a run's topics, and the topics a run reads;
- `cleanup`: removing a run's topics and databases.
"""
