"""`python -m chaos` (scripts/chaos): the chaos run; the report on stdout, exit 1 if an invariant
failed."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from chaos import scenario as scenarios
from chaos.report import ModesReport
from chaos.run import ChaosRun
from chaos.scenario import Membership

_MODES = {
    "default": (Membership.DEFAULT,),
    "static": (Membership.STATIC,),
    "both": (Membership.DEFAULT, Membership.STATIC),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__)
    parser.add_argument("--small", action="store_true", help="the test suite's short run")
    parser.add_argument("--customers", type=int, help="customers (full: 1000, small: 150)")
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds for the run of one membership mode (full: 1500, small: 240)",
    )
    parser.add_argument(
        "--membership",
        choices=sorted(_MODES),
        help="the instances' group membership: default (dynamic members, no "
        "CUSTOMER_ASYNC_GROUP_INSTANCE_ID), static, or both, default first, each on a fresh "
        "private stack (full: both; small: default)",
    )
    parser.add_argument("--seed", type=int, default=629)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the report here")
    parser.add_argument("--log-dir", type=Path, help="instance logs and the private stack")
    arguments = parser.parse_args()
    # The run's own Kafka clients meet the broker restart on purpose: their reconnect chatter
    # is no news (the instances' logs keep the service's side).
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    make = scenarios.small if arguments.small else scenarios.full
    default = scenarios.SMALL if arguments.small else scenarios.FULL
    chosen = make(
        arguments.customers or default.customers,
        seed=arguments.seed,
        timeout=arguments.timeout or default.timeout,
    )
    # The small run is the test suite's: one mode keeps its time (default, what most run).
    modes = _MODES[arguments.membership or ("default" if arguments.small else "both")]
    log_dir = arguments.log_dir or Path(tempfile.mkdtemp(prefix="customer-async-chaos-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    report = ModesReport(
        [
            asyncio.run(ChaosRun(replace(chosen, membership=mode), log_dir / mode).execute())
            for mode in modes
        ]
    )
    print(report.text())
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
