"""A phase: calls sent through the driver, each answer judged, the outcomes summed up.

A fast wrong answer is not a result: an answer counts only with the expected status and a
value that passes the call's check; anything else is reported with what was wrong.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.driver import Answer, Done, Driver, NoAnswer, Request, Unsent, ignore
from benchmarks.progress import Progress
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
    name: str,
    calls: Sequence[Call],
    driver: Driver,
    deadline: float,
    on_done: Done = ignore,
    *,
    window: int | None = None,
    send_until: float | None = None,
) -> tuple[Measurement, list[Answer | NoAnswer | Unsent]]:
    """Send `calls` in closed loop (at most `window` in flight, by default the driver's) and
    measure them; answers in call order. Calls whose turn comes after `send_until` are not sent
    and not measured (the measurement counts them as `unsent`)."""
    quiet_heap()
    answers = await driver.exchange(
        [call.request for call in calls], deadline, on_done, window=window, send_until=send_until
    )
    return _measure(name, calls, answers), answers


async def run_timed_phase(
    name: str,
    calls: Sequence[Call],
    driver: Driver,
    *,
    window: int,
    seconds: float,
    grace: float,
    deadline: float,
    progress: Progress,
) -> tuple[Measurement, list[Answer | NoAnswer | Unsent]]:
    """`run_phase` under a progress bar, sending for at most `seconds` and waiting at most
    `grace` seconds more for the last replies (never past `deadline`): a store that scans for
    each query must not hold the run up for ever."""
    send_until = asyncio.get_running_loop().time() + seconds
    with progress.bar(name, len(calls)) as done:
        return await run_phase(
            name,
            calls,
            driver,
            min(deadline, send_until + grace),
            done,
            window=window,
            send_until=send_until,
        )


def quiet_heap() -> None:
    """Collect, then freeze what earlier phases left alive (their answers and figures): a full
    collection walking them all would pause the driver mid-phase and count as latency."""
    gc.collect()
    gc.freeze()


async def run_open_phase(
    name: str,
    calls: Sequence[Call],
    driver: Driver,
    *,
    rate: float,
    deadline: float,
    on_done: Done = ignore,
) -> tuple[Measurement, float]:
    """Send `calls` at `rate` per second whatever the replies (open loop) and measure them;
    also how many seconds the sender fell behind its schedule at worst."""
    quiet_heap()
    schedule = await driver.exchange_at_rate(
        [call.request for call in calls], rate, deadline, on_done
    )
    return _measure(name, calls, schedule.answers), schedule.send_lag


def _measure(
    name: str, calls: Sequence[Call], answers: Sequence[Answer | NoAnswer | Unsent]
) -> Measurement:
    outcomes = [
        judge(call, answer)
        for call, answer in zip(calls, answers, strict=True)
        if not isinstance(answer, Unsent)
    ]
    return summarise(name, outcomes, unsent=len(calls) - len(outcomes))


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
