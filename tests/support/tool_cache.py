"""Tools the tests build once and keep in the project's cache (outside the checkout).

A build runs in a private `.partial` directory and is moved into place only when it succeeded,
so a failed or interrupted build is never mistaken for a finished one, and two sessions building
the same thing at once both end up using one finished copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

COMPLETE = ".complete"
"""Present in a finished build."""


def cache_dir() -> Path:
    """The project's cache directory, as scripts/stack-env.sh names it."""
    named = os.environ.get("CUSTOMER_ASYNC_CACHE_DIR")
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "customer-async"


def build_once(
    final: Path,
    command: Callable[[Path], list[str]],
    *,
    what: str,
    error: type[Exception],
    timeout: float,
    prepare: Callable[[Path], None] = lambda partial: None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """`final`, built now by `command(partial)` (run in `partial`) unless it is finished already.

    Raises `error` naming `what` when the command fails or takes longer than `timeout` seconds.
    """
    if (final / COMPLETE).exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.parent / f"{final.name}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    prepare(partial)
    try:
        result = subprocess.run(
            command(partial),
            cwd=partial,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise error(f"{what} did not finish in {exc.timeout} s") from exc
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise error(
            f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}"
        )
    (partial / COMPLETE).touch()
    try:
        partial.rename(final)
    except OSError:
        # Another session finished the same build first: use theirs.
        shutil.rmtree(partial, ignore_errors=True)
        if not (final / COMPLETE).exists():
            raise
    return final
