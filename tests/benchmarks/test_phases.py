"""`--phases` chooses among the known phases; the open loop cannot run without the closed one."""

from __future__ import annotations

import pytest

from benchmarks.phases import PHASES, PhaseChoiceError, in_order, parse_phases


def test_no_choice_and_all_mean_every_phase() -> None:
    assert parse_phases(None) == parse_phases("all") == frozenset(PHASES)


def test_a_choice_runs_in_the_run_s_order() -> None:
    assert in_order(parse_phases(" lists , peer,sustained")) == ["peer", "sustained", "lists"]


@pytest.mark.parametrize("value", ["", "peer,cache", "open", "open,peer"])
def test_an_unknown_empty_or_impossible_choice_is_refused(value: str) -> None:
    with pytest.raises(PhaseChoiceError):
        parse_phases(value)
