"""Stopping background tasks is bounded: a task that cannot be cancelled is left behind,
logged with where it waits, and shutdown goes on."""

from __future__ import annotations

import asyncio
import logging

import pytest

from server.edge.tasks import stop_tasks


async def test_tasks_that_end_on_cancel_are_stopped() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(3600)) for _ in range(3)]
    await stop_tasks(tasks, "test")
    assert all(t.cancelled() for t in tasks)


async def test_a_task_stuck_in_its_cleanup_is_left_behind_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stuck_in_cleanup() -> None:
        try:
            await asyncio.sleep(3600)
        finally:  # like a client library returning a connection to its pool after a cancel
            await release.wait()

    stuck = asyncio.create_task(stuck_in_cleanup(), name="stuck")
    fine = asyncio.create_task(asyncio.sleep(3600), name="fine")
    await asyncio.sleep(0)  # both start waiting
    with caplog.at_level(logging.WARNING, logger="matchboard.tasks"):
        async with asyncio.timeout(30):  # bounds the test, not the code under test
            await stop_tasks([stuck, fine], "test", timeout_s=0.2)
    assert fine.cancelled()
    assert not stuck.done()
    assert "task stuck did not stop" in caplog.text and "stuck_in_cleanup" in caplog.text
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await stuck  # it ends once its cleanup can
