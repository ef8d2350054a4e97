"""The benchmark of `customer-async`: the service measured against ceilings from the same run.

`python -m benchmarks` (or `scripts/bench`) runs, against one Kafka broker and one
MongoDB-protocol store on loopback, with a fresh topic prefix and database:

- the ceilings: a minimal Kafka echo service (`echo.py`), raw PyMongo `insert_one`/`find_one`
  (`store_ceiling.py`) and the memory of an idle process holding the same clients
  (`idle_clients.py`, read through `memory.py`);
- the service as a child process, driven by `driver.py` with the operations of `workload.py`;
- the report (`report.py`): rates, latency percentiles and peak memory as ratios to the ceilings.

`run.py` wires these together; `run_benchmark` is the entry point.
"""
