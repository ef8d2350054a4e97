"""Which phases a run measures (`--phases`): their names, and the choice read from the CLI."""

from __future__ import annotations

PHASES = ("closed", "open", "peer", "sustained", "scale", "lists")
"""In the order they run: the closed loop (with the ceilings' second run and the deletes), the
open loop (its 100 % is the closed loop's rate), the service against the plain peer, the
sustained creates, the scale phases and the list kinds (both at each `--scale` size). The first
run of the ceilings always comes first: every figure is a ratio to it."""


class PhaseChoiceError(ValueError):
    """A `--phases` value that names no phase, an unknown one, or `open` without `closed`."""


def parse_phases(value: str | None) -> frozenset[str]:
    """`"peer,lists"` → those phases; None or `"all"` → every phase."""
    if value is None or value.strip().lower() == "all":
        return frozenset(PHASES)
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not chosen or chosen - set(PHASES):
        raise PhaseChoiceError(f"comma-separated, from {', '.join(PHASES)} (or 'all')")
    if "open" in chosen and "closed" not in chosen:
        raise PhaseChoiceError("'open' needs 'closed': its 100 % is the closed loop's rate")
    return chosen


def in_order(phases: frozenset[str]) -> list[str]:
    """The chosen phases in the order they run."""
    return [phase for phase in PHASES if phase in phases]
