"""The Spring for Apache Kafka client of tests/interop/spring: built with Maven, run with Java.

The build goes into the project's cache directory (`CUSTOMER_ASYNC_CACHE_DIR`, as
scripts/stack-env.sh), in a folder named by the hash of the client's sources: a build is reused
until the pom or a source file changes, and Maven's downloads stay in the cache's `m2` beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.repository import REPO
from tests.support.tool_cache import build_once, cache_dir

SOURCES = REPO / "tests" / "interop" / "spring"
MAIN_CLASS = "customerasync.interop.SpringClient"
BUILD_TIMEOUT = 900.0


class SpringBuildError(RuntimeError):
    """The client could not be built (no Maven or Java, or Maven failed)."""


def sources_digest() -> str:
    """A hash of everything the build reads: the pom and every file under src/."""
    digest = hashlib.sha256()
    files = [SOURCES / "pom.xml", *sorted(p for p in (SOURCES / "src").rglob("*") if p.is_file())]
    for path in files:
        digest.update(str(path.relative_to(SOURCES)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class SpringRun:
    """One run of the client: its exit status, output, and the reply line it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def reply(self) -> dict[str, Any]:
        """The reply as the client printed it (one JSON object on the last stdout line)."""
        lines = self.stdout.strip().splitlines()
        assert self.returncode == 0, (
            f"spring client exited {self.returncode}:\n{self.stderr[-3000:]}"
        )
        assert lines, f"spring client printed no reply:\n{self.stderr[-3000:]}"
        reply: dict[str, Any] = json.loads(lines[-1])
        return reply


@dataclass(frozen=True)
class SpringClient:
    """The built client: `java -cp …` over its jar and its dependencies."""

    build: Path

    def command(self, *args: str) -> list[str]:
        classpath = os.pathsep.join([str(self.build / "spring-client.jar"), f"{self.build}/lib/*"])
        # A short-lived client: the quick JIT tier and a small heap suit two shared cores.
        return ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, MAIN_CLASS, *args]

    async def run(
        self,
        bootstrap_servers: str,
        topic_prefix: str,
        *command: str,
        reply_timeout: float = 30.0,
        stdin: bytes | None = None,
    ) -> SpringRun:
        """Runs one command (`create FILE|-` or `retrieve ID`) without blocking the event loop."""
        process = await asyncio.create_subprocess_exec(
            *self.command(f"--timeout={reply_timeout}", bootstrap_servers, topic_prefix, *command),
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(stdin), reply_timeout + 90.0
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        return SpringRun(process.returncode, stdout.decode(), stderr.decode())


def build_spring_client() -> SpringClient:
    """The client built from the current sources: from the cache, or built now with Maven."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise SpringBuildError(f"{tool} is needed to build and run the Spring client")
    cache = cache_dir()
    build = build_once(
        cache / "spring-client" / sources_digest(),
        lambda partial: [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(SOURCES / "pom.xml"),
            f"-Dmaven.repo.local={cache / 'm2'}",
            f"-Dclient.build.directory={partial}",
            "package",
        ],
        what="Maven's build of the Spring client",
        error=SpringBuildError,
        timeout=BUILD_TIMEOUT,
    )
    return SpringClient(build)
