"""`python -m benchmarks.hostile`: the hostile-input run (scripts/hostile); exit 1 on a failure."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from benchmarks.hostile import Options, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/hostile", description=__doc__)
    parser.add_argument("--records", type=int, default=10_000, help="malformed records to send")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=629)
    arguments = parser.parse_args()
    options = Options(
        bootstrap_servers=os.environ.get(
            "CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"
        ),
        mongodb_uri=os.environ.get("CUSTOMER_ASYNC_MONGODB_URI", "mongodb://127.0.0.1:27017"),
        records=arguments.records,
        timeout=arguments.timeout,
        seed=arguments.seed,
    )
    summary = asyncio.run(run(options))
    print(summary.report())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
