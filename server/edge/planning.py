"""Use cases before and between the live rounds: import, schedule, the sample event.

Each goes through `Service.execute`, so it is one atomic commit: an import with a bad row,
or one that would break an invariant, stores nothing. The pure work (parsing, placing) is
redone on the fresh state if a concurrent change forces a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.core import importer, scheduler
from server.core.fresh import with_tokens
from server.core.importer import Progress
from server.core.model import Record
from server.core.state import Change, ChangeRecord, EventState
from server.demo import sample
from server.edge.service import Service, mint

ImportKind = Literal["participants", "meetings", "json"]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    plan: importer.ImportPlan
    record: ChangeRecord | None  # None when nothing changed


@dataclass(frozen=True, slots=True)
class ScheduleOutcome:
    result: scheduler.ScheduleResult
    record: ChangeRecord | None


def parse_import(
    state: EventState,
    kind: ImportKind,
    text: str,
    filename: str,
    progress: Progress | None = None,
) -> importer.ImportPlan:
    if kind == "participants":
        return importer.import_participants_csv(state, text, filename=filename, progress=progress)
    if kind == "meetings":
        return importer.import_meetings_csv(state, text, filename=filename, progress=progress)
    return importer.import_json(state, text, filename=filename, progress=progress)


async def import_text(
    service: Service,
    event_id: str,
    kind: ImportKind,
    text: str,
    *,
    filename: str,
    actor: str,
    progress: Progress | None = None,
) -> ImportOutcome:
    plans: list[importer.ImportPlan] = []
    fresh = mint()

    def decide(state: EventState) -> Change:
        plan = parse_import(state, kind, text, filename, progress)
        plans.append(plan)
        if not plan.created and not plan.updated:
            return Change()
        return Change(upserts=tuple(with_tokens(event_id, state, plan.records, fresh)))

    record = await service.execute(
        event_id, f"import_{kind}", decide, actor=actor, args={"file": filename}
    )
    return ImportOutcome(plans[-1], record)


async def run_scheduler(service: Service, event_id: str, *, actor: str) -> ScheduleOutcome:
    results: list[scheduler.ScheduleResult] = []

    def decide(state: EventState) -> Change:
        result = scheduler.schedule(state)
        results.append(result)
        return Change(upserts=result.placed)

    record = await service.execute(event_id, "schedule", decide, actor=actor)
    return ScheduleOutcome(results[-1], record)


async def create_sample_event(
    service: Service,
    *,
    first_round_at_ms: int,
    event_id: str = "icmc-2026",
    round_minutes: int = 20,
    participants: int = 250,
    seed: int = 2026,
    actor: str = "demo",
) -> ScheduleOutcome:
    """(Re-)create the sample conference with a new epoch, then schedule its requests."""
    conf = sample.generate(
        seed=seed,
        event_id=event_id,
        first_round_at_ms=first_round_at_ms,
        round_minutes=round_minutes,
        changeover_minutes=max(1, round_minutes // 4),
        participants=participants,
    )
    records: list[Record] = [r for r in conf.records() if r is not conf.event]
    await service.create_event(conf.event, records, actor=actor, replace=True)
    return await run_scheduler(service, event_id, actor=actor)
