"""The benchmark of `customer-async`: the service measured against ceilings from the same run.

`python -m benchmarks` (or `scripts/bench`) runs, against one Kafka broker and one
MongoDB-protocol store on loopback, with a fresh topic prefix and database:

- the ceilings: a minimal Kafka echo service (`echo.py`), raw PyMongo `insert_one`, `find_one`
  and `update_one` (`store_ceiling.py`, on documents shaped by `stored_customers.py`) and the
  memory of an idle process holding the same clients (`idle_clients.py`, measured by
  `memory.py`);
- the service as a child process, driven by `driver.py` with the operations of `workload.py`:
  in closed loop (a window in flight; store commands counted by `store_counters.py`), in open
  loop at fixed offered loads beside the echo (`open_loop.py`), against the plain peer a team
  would write instead (`plain_peer.py`, compared in `peer_comparison.py`), in many creates with
  its outbox watched until published (`sustained.py`), and with many
  customers stored (`scale.py`, with spread values from `spread.py`), where each kind of list
  page is asked for (`list_kinds.py`); memory and store trouble are watched beside the last of
  these (`watch.py`); `phases.py` names the phases a run may choose;
- the report (`report.py`): every figure as a ratio to a ceiling, the targets checked
  (`targets.py`), written as a table, a JSON file and a PNG plot (`outputs.py`, `plot.py`).

`run.py` wires these together; `run_benchmark` is the entry point. The child processes, /proc,
the operations port and the run's topics are the harness's (`harness/`), shared with the chaos
run and the tests.
"""
