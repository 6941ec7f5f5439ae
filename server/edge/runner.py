"""Running one command at the edge: read what it needs, mint what it creates, commit it.

The commands themselves are pure (server/core/commands.py); this is where a run gets its time,
its fresh ids and secrets (`service.mint`), the change log undo plans from, and where a
repeated request id is answered from its receipt. Both transports call `run_command`:
HTTP (`POST /api/events/{id}/commands`) and the WebSocket's `command` message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.core import audit, idempotency, rules
from server.core.command_args import Args, Command, Plan
from server.core.commands import COMMANDS, actor_name, command, preview
from server.core.errors import MatchboardError
from server.core.idempotency import Receipt, Request
from server.core.state import Change, ChangeRecord, EventState
from server.core.views import Audience
from server.edge import metrics
from server.edge.service import Once, Service, mint
from server.edge.store import Duplicate


@dataclass(frozen=True, slots=True)
class Outcome:
    record: ChangeRecord | None  # None for a dry run, a query, a change of nothing, a repeat
    preview: dict[str, Any]
    data: dict[str, Any] | None = None  # a query's answer
    first: Receipt | None = None  # a repeated request id: what its first run committed

    @property
    def committed(self) -> int | None:
        """The version the command committed (in its first run, for a repeat)."""
        if self.record is not None:
            return self.record.version
        return None if self.first is None else self.first.version

    def kind(self, dry_run: bool) -> str:
        """What the run did, for /metrics: committed, repeat, dry_run, query, unchanged."""
        if self.record is not None:
            return "committed"
        if self.first is not None:
            return "repeat"
        return "dry_run" if dry_run else "query" if self.data is not None else "unchanged"


async def run_command(
    service: Service,
    event_id: str,
    name: Any,
    raw_args: Any,
    audience: Audience,
    now_ms: int,
    *,
    dry_run: bool = False,
    request_id: Any = None,
) -> Outcome:
    """`_run_command`, counted and timed for /metrics (server/edge/metrics.py)."""
    started = metrics.clock()
    label = name if isinstance(name, str) and name in COMMANDS else "unknown"
    try:
        outcome = await _run_command(
            service, event_id, name, raw_args, audience, now_ms,
            dry_run=dry_run, request_id=request_id,
        )  # fmt: skip
    except MatchboardError as exc:
        metrics.command_done(label, started, exc.code)
        raise
    except Exception:
        metrics.command_done(label, started, "internal_error")
        raise
    metrics.command_done(label, started, outcome.kind(dry_run))
    return outcome


async def _run_command(
    service: Service,
    event_id: str,
    name: Any,
    raw_args: Any,
    audience: Audience,
    now_ms: int,
    *,
    dry_run: bool = False,
    request_id: Any = None,
) -> Outcome:
    """Run one command; a dry run decides and checks it against the current state, and
    commits nothing (undo included: it shows what would be reverted).

    With a request id, a command that commits is applied once: a repeat gets the first
    run's version and preview (and `data` computed anew). Dry runs and queries commit
    nothing, so they are neither recorded nor looked up."""
    rid = idempotency.request_id(request_id)
    spec = command(name, audience)
    args = Args(raw_args, mint())
    if spec.query is not None:
        state = await service.state(event_id)
        return Outcome(None, {}, spec.query(state, args, audience, now_ms))
    request = (
        None if dry_run or rid is None else Request(rid, spec.name, actor_name(audience), args.raw)
    )
    plan: Plan | None = None
    if spec.from_log is not None:
        # A repeat is answered in service.execute, before deciding; but undo reads the log
        # first, and its repeat must not plan (or refuse) another undo.
        if request is not None and (first := await service.receipt(event_id, request)):
            return await _repeated(service, event_id, spec, args, audience, now_ms, first)
        plan = spec.from_log(await service.recent_changes(event_id), actor_name(audience))

    def decide(state: EventState) -> Change:
        if plan is not None:
            return plan.decide(state)
        return spec.decide(state, args, audience, now_ms)

    summary = {} if plan is None else plan.summary
    if dry_run:
        state = await service.state(event_id)
        change = decide(state)
        rules.check(state, change)
        return Outcome(None, preview(state, change) | summary)
    previews: list[dict[str, Any]] = []

    def decide_and_preview(state: EventState) -> Change:
        change = decide(state)
        previews.append(preview(state, change))
        return change

    once = None if request is None else Once(request, lambda: previews[-1] | summary)
    try:
        record = await service.execute(
            event_id,
            spec.name,
            decide_and_preview,
            actor=actor_name(audience),
            args=args.raw if plan is None else plan.args,
            once=once,
        )
    except Duplicate as repeat:  # the first run committed, before this one or racing it
        return await _repeated(service, event_id, spec, args, audience, now_ms, repeat.receipt)
    if plan is not None and record is None:
        raise audit.NothingToUndo(f"{plan.args.get('command')} changed nothing")
    data = await _answer(service, event_id, spec, args, audience, now_ms)
    return Outcome(record, (previews[-1] if previews else {}) | summary, data)


async def _answer(
    service: Service, event_id: str, spec: Command, args: Args, audience: Audience, now_ms: int
) -> dict[str, Any] | None:
    """The result's `data`, from the state after the commit (None if it has none)."""
    if spec.answer is None:
        return None
    return spec.answer(await service.state(event_id), args, audience, now_ms)


async def _repeated(
    service: Service,
    event_id: str,
    spec: Command,
    args: Args,
    audience: Audience,
    now_ms: int,
    first: Receipt,
) -> Outcome:
    """A repeat's answer: the first run's version and preview. `data` is computed anew,
    like after the first run: it is advice about the present (who waits now, who could
    step in), which a stored copy would give out of date."""
    data = await _answer(service, event_id, spec, args, audience, now_ms)
    return Outcome(None, first.preview, data, first)
