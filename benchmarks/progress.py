"""What the run tells a person while it works: a line per step, a bar on long phases.

Bars use rich rather than tqdm: rich ships its type hints (mypy strict needs no stub package),
redraws from its own thread (so a bar moves while the event loop is busy sending), prints the
step lines above the live bars, and the project's CLI already uses it. Bars are drawn only when
stderr is a terminal; otherwise (CI, a pipe, the smoke test) only the step lines are written.
Nothing of this goes to stdout, which carries the report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

from benchmarks.driver import Done, ignore


class Progress(Protocol):
    """Told what the run is doing."""

    def note(self, line: str) -> None:
        """One line about the step starting now."""
        ...

    def bar(self, description: str, total: int) -> contextlib.AbstractContextManager[Done]:
        """A bar for `total` pieces of work; call the `Done` it yields once per piece."""
        ...


class QuietProgress:
    """Tells nobody (tests, library use)."""

    def note(self, line: str) -> None:
        """Ignore the line."""
        del line

    @contextlib.contextmanager
    def bar(self, description: str, total: int) -> Iterator[Done]:
        """No bar."""
        del description, total
        yield ignore


class TerminalProgress:
    """Step lines on stderr, and live bars while stderr is a terminal; use it as a context."""

    def __init__(self) -> None:
        self._console = Console(stderr=True, highlight=False)
        self._bars = Bars(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
            disable=not self._console.is_terminal,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> TerminalProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def note(self, line: str) -> None:
        """Print the line (above the bars when they are live)."""
        self._console.print(f"· {line}", markup=False)

    @contextlib.contextmanager
    def bar(self, description: str, total: int) -> Iterator[Done]:
        """A bar that disappears when its phase ends."""
        task = self._bars.add_task(description, total=total)

        def advance() -> None:
            self._bars.advance(task)

        try:
            yield advance
        finally:
            self._bars.remove_task(task)
