"""serve's event loop: uvloop's when asked for and installed, asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import builtins
import logging
from typing import Any

import pytest
import uvloop

from customer_async.ops.event_loop import loop_factory, run_on


async def _running_loop() -> type[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_uvloop_runs_the_service_by_default() -> None:
    assert run_on("uvloop", _running_loop()) is uvloop.Loop


def test_asyncio_chooses_the_standard_loop() -> None:
    assert loop_factory("asyncio") is None
    ran_on = run_on("asyncio", _running_loop())
    assert not issubclass(ran_on, uvloop.Loop)
    assert issubclass(ran_on, asyncio.BaseEventLoop)


def test_without_uvloop_installed_the_standard_loop_serves_and_the_log_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_import = builtins.__import__

    def no_uvloop(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    with caplog.at_level(logging.WARNING, logger="customer_async.ops.event_loop"):
        assert loop_factory("uvloop") is None
    assert "uvloop is not installed" in caplog.text


def test_the_result_of_the_main_coroutine_is_returned() -> None:
    async def answer() -> int:
        return 42

    assert run_on("uvloop", answer()) == 42
