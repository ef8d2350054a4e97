"""A phase: calls sent through the driver, each answer judged, the outcomes summed up.

A fast wrong answer is not a result: an answer counts only with the expected status and a
value that passes the call's check; anything else is reported with what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.driver import Answer, Driver, NoAnswer, Request
from benchmarks.stats import MISSING, Measurement, Outcome, summarise

Check = Callable[[Answer], str | None]
"""Looks at a reply with the expected status; returns what is wrong with it, or None."""

_DETAIL_CHARS = 160


def accept(answer: Answer) -> str | None:
    """The check of a call whose status says it all."""
    del answer
    return None


@dataclass(frozen=True, slots=True)
class Call:
    """A request and what a right answer to it looks like."""

    request: Request
    expected_status: int
    check: Check = accept


def judge(call: Call, answer: Answer | NoAnswer) -> Outcome:
    """The outcome of one call: its status, and whether the answer was the right one."""
    if isinstance(answer, NoAnswer):
        return Outcome(MISSING, ok=False, started=answer.sent, problem=answer.reason)
    status = str(answer.status)
    if answer.status != call.expected_status:
        problem = f"status {status} instead of {call.expected_status}: {_detail(answer.value)}"
        return Outcome(status, False, answer.sent, answer.received, problem)
    wrong = call.check(answer)
    return Outcome(status, wrong is None, answer.sent, answer.received, wrong)


async def run_phase(
    name: str, calls: Sequence[Call], driver: Driver, deadline: float
) -> tuple[Measurement, list[Answer | NoAnswer]]:
    """Send `calls` (bounded in flight by the driver) and measure them; answers in call order."""
    answers = await driver.exchange([call.request for call in calls], deadline)
    outcomes = [judge(call, answer) for call, answer in zip(calls, answers, strict=True)]
    return summarise(name, outcomes), answers


def reply_body(answer: Answer) -> object:
    """The reply's JSON value (None when empty or not JSON)."""
    if not answer.value:
        return None
    try:
        return json.loads(answer.value)
    except ValueError:
        return None


def _detail(value: bytes | None) -> str:
    """An error reply's TMF `reason` and `message`, shortened."""
    if not value:
        return "no value"
    try:
        body = json.loads(value)
    except ValueError:
        return value[:_DETAIL_CHARS].decode(errors="replace")
    if isinstance(body, dict):
        text = f"{body.get('reason', '')} {body.get('message', '')}".strip()
    else:
        text = json.dumps(body)
    return text[:_DETAIL_CHARS]
