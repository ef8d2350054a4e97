"""scripts/stack starts servers without ever judging a starting one dead, and a failed `up`
leaves nothing running."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from harness.ports import free_port
from harness.private_stack import PrivateStack
from harness.proc import process_alive
from harness.repository import REPO
from tests.support.cpu_load import busy_cores

pytestmark = pytest.mark.e2e

# A real listening server, as small as one can be: it opens its port and waits.
_SERVER = (
    "import socket, sys, time; s = socket.socket(); "
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(120)"
)

_CYCLES = """
set -euo pipefail
log() { printf '%s\\n' "$*" >&2; }
die() { log "$*"; exit 1; }
source "$1/scripts/stack-process.sh"
dir=$2 server=$3
i=0
for port in $4; do
    i=$((i + 1))
    spawn "$dir/server.pid" "$dir/server.log" python3 -I -c "$server" "$port" "marker-$i"
    wait_until_serving server "$port" "$dir/server.pid" "marker-$i" "$dir/server.log" 60
    stop_process server "$dir/server.pid" "marker-$i" TERM 10
    echo "cycle $i ok"
done
"""


def test_a_starting_server_is_never_judged_dead_under_cpu_load(tmp_path: Path) -> None:
    """The start-up protocol (spawn, wait, stop) holds 40 times in a row on busy cores.

    Before the fix, a pid read right after `nohup … &` still showed the forked shell's command
    line in about one check of six, and the stack died with "exited during start-up".
    """
    cycles = 40
    ports = " ".join(str(free_port()) for _ in range(cycles))
    with busy_cores():
        result = subprocess.run(
            ["bash", "-c", _CYCLES, "cycles", str(REPO), str(tmp_path), _SERVER, ports],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count(" ok\n") == cycles


async def test_private_stack_starts_and_stops_repeatedly_under_cpu_load(tmp_path: Path) -> None:
    """Three full up/down cycles of Kafka, PostgreSQL and FerretDB on busy cores, none failing.

    `scripts/stack-soak` runs the same for as many cycles as asked (20 by default).
    """
    stack = PrivateStack(tmp_path / "stack")
    try:
        with busy_cores():
            for _ in range(3):
                status, output = await stack.run("up")
                assert status == 0, output[-3000:]
                pids = [stack.pid(name) for name in ("kafka", "ferretdb", "postgresql")]
                status, output = await stack.run("down")
                assert status == 0, output[-3000:]
                assert not any(pid and process_alive(pid) for pid in pids), output
    finally:
        await stack.remove()


async def test_a_failed_up_stops_what_it_started(tmp_path: Path) -> None:
    """Kafka cannot bind its controller port: `up` fails and PostgreSQL and FerretDB go too."""
    stack = PrivateStack(tmp_path / "stack")
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    controller_port = free_port()
    blocker.bind(("127.0.0.1", controller_port))
    blocker.listen()
    stack.use_controller_port(controller_port)
    try:
        status, output = await stack.run("up")
        pids = {name: stack.pid(name) for name in ("kafka", "ferretdb", "postgresql")}
    finally:
        blocker.close()
        await stack.remove()
    assert status != 0
    assert "kafka exited during start-up" in output
    assert "stopping postgresql" in output
    assert "stopping ferretdb" in output
    assert pids == {"kafka": None, "ferretdb": None, "postgresql": None}, output
    for line in output.splitlines():
        if line.startswith("stack: stopping"):
            pid = int(line.rsplit("pid ", 1)[1].rstrip(")"))
            assert not process_alive(pid), line
