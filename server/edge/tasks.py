"""Stopping a component's background tasks, bounded.

Shutdown must end even when a task does not: one whose cleanup after the cancel waits on
something that never comes (the Redis client returning a connection to its pool under a
lock, say) stays "cancelling".
Such a task is logged with where it waits and left behind, rather than holding up the
whole process (a SIGTERM that never finishes) or a test's server.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Collection
from typing import Final

log = logging.getLogger("matchboard.tasks")
STOP_TIMEOUT_S: Final = 5.0


async def stop_tasks(
    tasks: Collection[asyncio.Task[None]], what: str, timeout_s: float = STOP_TIMEOUT_S
) -> None:
    """Cancel `tasks` and wait up to `timeout_s` for them to end."""
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        where = io.StringIO()
        task.print_stack(file=where)
        log.warning(
            "%s: task %s did not stop within %.0f s; left behind. It waits in:\n%s",
            what, task.get_name(), timeout_s, where.getvalue(),
        )  # fmt: skip
