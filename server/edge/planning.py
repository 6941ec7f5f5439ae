"""Use cases before and between the live rounds: import, schedule, the sample event.

Each goes through `Service.execute`, so it is one atomic commit: an import with a bad row,
or one that would break an invariant, stores nothing. The pure work (parsing, placing) is
redone on the fresh state if a concurrent change forces a retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from server.core import idle, import_days, import_sheets, importer, rules, scheduler
from server.core.errors import BadRequest, Conflict, MatchboardError
from server.core.fresh import with_tokens
from server.core.importer import Progress
from server.core.model import Meeting, MeetingStatus, Record, Round
from server.core.state import Change, ChangeRecord, EventState, state_from_records
from server.demo import sample
from server.edge import schedule_plan, xlsx
from server.edge.service import Service, mint
from server.solve import cpsat
from server.solve import event as solve_event
from server.solve.cpsat import Options
from server.solve.result import Progress as SolveProgress
from server.solve.result import Result

ImportKind = Literal["participants", "meetings", "json", "plan"]
Parse = Callable[[EventState], importer.ImportPlan]  # the file (or rows) read on a state


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    plan: importer.ImportPlan
    record: ChangeRecord | None  # None when nothing changed


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    """How to schedule: the optimiser (default) or the baseline (`fast`); for the
    optimiser its time limit, seed, cores (0: all), fairness bound (None: none), whether
    scheduled meetings of rounds not begun may move (`reschedule`), and a progress
    callback (called from the solver's thread)."""

    fast: bool = False
    time_limit_s: float = 30.0
    seed: int = 0
    workers: int = 0
    fairness: int | None = 2
    reschedule: bool = False
    preview: bool = False  # compute and report, commit nothing
    apply: schedule_plan.Plan | None = None  # store a preview's plan as shown, no solving
    # Rounds whose seating began before this instant take no meetings; None: now. The
    # sample conference is planned as of before its first round, which starts at once.
    as_of_ms: int | None = None
    progress: Callable[[SolveProgress], None] | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """A scheduled meeting the schedule gives another round or table, as people read it."""

    meeting_id: str
    name: str  # the organiser's id, else ours
    people: tuple[str, ...]  # names with organisations
    from_round: int
    from_table: int
    to_round: int
    to_table: int

    def text(self) -> str:
        who = " & ".join(self.people)
        return (f"{who} ({self.name}): round {self.from_round} table {self.from_table} → "
                f"round {self.to_round} table {self.to_table}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScheduleOutcome:
    placed: tuple[Meeting, ...]  # every meeting placed or moved, as stored
    unplaced: tuple[scheduler.Unplaced, ...]  # every request left out, with its reason
    record: ChangeRecord | None  # None when nothing changed, or on a preview
    solved: Result | None  # the optimiser's answer (None with `fast`)
    moved: tuple[Move, ...]  # scheduled meetings given another round or table
    people_changed: int  # participants whose agenda changes
    breaks_before: int  # idle breaks in the event before and after
    breaks_after: int
    plan: dict[str, Any] | None = None  # a preview's plan, to apply as shown
    applied: bool = False  # a previewed plan was applied (no solving)


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
    if kind == "plan":
        return import_days.import_plan_csv(state, text, filename=filename)
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
    def parse(state: EventState) -> importer.ImportPlan:
        return parse_import(state, kind, text, filename, progress)

    return await import_parsed(service, event_id, f"import_{kind}", parse, filename, actor)


async def import_xlsx(
    service: Service,
    event_id: str,
    data: bytes,
    *,
    filename: str,
    kind: ImportKind | None,
    actor: str,
    progress: Progress | None = None,
) -> ImportOutcome:
    """A workbook's sheets (server/core/import_sheets.py), one commit; with `kind`, only
    the sheet of that kind (named so, else the first)."""
    if kind == "json":
        raise BadRequest(
            f"{filename} is a spreadsheet: import it as participants, meetings or plan"
        )
    sheets = xlsx.read_workbook(data, filename)

    def parse(state: EventState) -> importer.ImportPlan:
        return import_sheets.import_workbook(state, sheets, filename=filename, kind=kind,
                                             progress=progress)  # fmt: skip

    return await import_parsed(service, event_id, "import_xlsx", parse, filename, actor)


async def import_parsed(
    service: Service, event_id: str, command: str, parse: Parse, filename: str, actor: str
) -> ImportOutcome:
    """Commit what `parse` makes of the current state, as one change (parsed again on a
    retry); ImportFailed, and nothing stored, when it finds any error."""
    plans: list[importer.ImportPlan] = []
    fresh = mint()

    def decide(state: EventState) -> Change:
        plan = parse(state)
        plans.append(plan)
        if not plan.created and not plan.updated and not plan.deletes:
            return Change()
        upserts = tuple(with_tokens(event_id, state, plan.records, fresh))
        return Change(upserts=upserts, deletes=plan.deletes)

    record = await service.execute(event_id, command, decide, actor=actor, args={"file": filename})
    return ImportOutcome(plans[-1], record)


async def run_scheduler(
    service: Service, event_id: str, *, actor: str, options: ScheduleOptions | None = None
) -> ScheduleOutcome:
    """Schedule the event's requests (with `reschedule`, also move scheduled meetings of
    rounds not begun) in one commit. The optimiser runs in a thread on the state as read;
    if the event changed meanwhile, the commit goes ahead only when every meeting it
    places is unchanged and the rules still hold, else `Conflict` (nothing stored)."""
    options = options or ScheduleOptions()
    base = await service.state(event_id)
    if options.apply is not None:
        placed, solved = schedule_plan.planned(base, options.apply), None
        unplaced = tuple(scheduler.Unplaced(*u) for u in schedule_plan.left_out(base, placed))
    elif options.fast:
        result = scheduler.schedule(base)
        placed, unplaced, solved = result.placed, result.unplaced, None
    else:
        as_of = service.clock() if options.as_of_ms is None else options.as_of_ms
        ep = solve_event.problem_from_event(base, as_of, reschedule=options.reschedule)
        settings = Options(time_limit_s=options.time_limit_s, seed=options.seed,
                           workers=options.workers, fairness=options.fairness,
                           progress=options.progress)  # fmt: skip
        solved = await asyncio.to_thread(cpsat.solve, ep.problem, settings)
        placed, unplaced = ep.meetings(solved), ep.unplaced(solved)
    unplaced = tuple(_named(base, u) for u in unplaced)
    moved = tuple(
        _move(base, m) for m in placed if base.meetings[m.id].status is MeetingStatus.SCHEDULED
    )
    people = {pid for m in placed for pid in m.people}
    before = sum(idle.breaks_of(base).values())
    after_state = state_from_records(base.records(), base.epoch, base.version)
    after_state.apply(Change(upserts=placed))
    after = sum(idle.breaks_of(after_state).values())

    def decide(state: EventState) -> Change:
        if options.fast and options.apply is None and state.version != base.version:
            return Change(upserts=scheduler.schedule(state).placed)
        if state.version != base.version:
            changed = [m.id for m in placed if state.meetings.get(m.id) != base.meetings[m.id]]
            try:
                if changed:
                    raise Conflict(f"meeting {changed[0]} changed")
                rules.check(state, Change(upserts=placed))
            except MatchboardError as e:
                raise Conflict(
                    f"the event changed while the schedule was computed ({e}); nothing was "
                    "stored: schedule again"
                ) from e
        return Change(upserts=placed)

    record = None
    if not options.preview and placed:
        args = {"optimiser": not options.fast, "reschedule": options.reschedule,
                "plan": options.apply is not None}  # fmt: skip
        record = await service.execute(event_id, "schedule", decide, actor=actor, args=args)
    plan = schedule_plan.plan_of(base, placed) if options.preview else None
    return ScheduleOutcome(placed, unplaced, record, solved, moved, len(people), before, after,
                           plan, options.apply is not None)  # fmt: skip


async def create_sample_event(
    service: Service,
    *,
    first_round_at_ms: int,
    event_id: str = "icmc-2026",
    round_minutes: int = 20,
    participants: int = 250,
    seed: int = 2026,
    actor: str = "demo",
    options: ScheduleOptions | None = None,
) -> ScheduleOutcome:
    """(Re-)create the sample conference with a new epoch, then schedule its requests
    (with the optimiser unless `options` say otherwise)."""
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
    # Round 1 starts a minute from now, so its seating may have begun: the sample is
    # planned as if before the event, with every round open.
    first = min((r for r in records if isinstance(r, Round)), key=lambda r: r.index)
    planned = dataclasses.replace(options or ScheduleOptions(), as_of_ms=first.seating_at_ms - 1)
    return await run_scheduler(service, event_id, actor=actor, options=planned)


def _move(state: EventState, new: Meeting) -> Move:
    old = state.meetings[new.id]
    names = tuple(state.participants[p].name_and_organisation if p in state.participants
                  else p for p in old.people)  # fmt: skip
    return Move(new.id, old.external_id or old.id, names, old.round or 0, old.table or 0,
                new.round or 0, new.table or 0)  # fmt: skip


def _named(state: EventState, u: scheduler.Unplaced) -> scheduler.Unplaced:
    """The reason naming its meeting by the organiser's id ("the event has no rounds" does
    not say which meeting)."""
    m = state.meetings.get(u.meeting_id)
    name = (m.external_id or m.id) if m else u.meeting_id
    return (
        u if name in u.reason else scheduler.Unplaced(u.meeting_id, f"meeting {name}: {u.reason}")
    )


def _grouped(reasons: list[str]) -> list[str]:
    """Reasons, one shared by several meetings ("meeting X: the event has no rounds") once,
    with the meetings' names."""
    shared: dict[str, list[str]] = {}
    for reason in reasons:
        name, _, why = reason.partition(": ")
        name = name.removeprefix("meeting ")
        if reason.startswith("meeting ") and why and " " not in name:
            shared.setdefault(why, []).append(name)
        else:
            shared[reason] = []
    return [
        f"{why} (meetings {', '.join(sorted(names))})" if len(names) > 1
        else f"meeting {names[0]}: {why}" if names else why
        for why, names in shared.items()
    ]  # fmt: skip


def summary(outcome: ScheduleOutcome) -> dict[str, Any]:
    """The outcome as plain data (the HTTP answer, `describe`'s source)."""
    solved = outcome.solved
    method = "plan" if outcome.applied else "baseline" if solved is None else "optimiser"
    out: dict[str, Any] = {
        "method": method,
        "placed": len(outcome.placed) - len(outcome.moved),
        "moved": len(outcome.moved),
        "people_changed": outcome.people_changed,
        "moves": [
            {
                "meeting_id": m.meeting_id,
                "name": m.name,
                "people": list(m.people),
                "from": {"round": m.from_round, "table": m.from_table},
                "to": {"round": m.to_round, "table": m.to_table},
            }
            for m in outcome.moved
        ],
        "unplaced": [{"meeting_id": u.meeting_id, "reason": u.reason} for u in outcome.unplaced],
        "breaks_before": outcome.breaks_before,
        "breaks": outcome.breaks_after,
    }
    if solved is not None:
        out |= {
            "optimal": solved.status == "optimal",
            "breaks_bound": solved.breaks_bound,
            "gap": solved.gap,
            "fairness_bound": solved.fairness_bound,
            "spread": solved.spread,
            "fairness_kept": solved.fairness_kept,
            "seconds": round(solved.seconds, 2),
            "notes": list(solved.notes),
        }
    if outcome.plan is not None:
        out["plan"] = outcome.plan
    return out


def describe(outcome: ScheduleOutcome, *, preview: bool = False) -> list[str]:
    """What an organiser reads after scheduling (the CLI prints it)."""
    s = summary(outcome)
    if not (s["placed"] or s["moved"] or s["unplaced"]):
        return [f"nothing to schedule: no meeting request is waiting (idle breaks: {s['breaks']})"]
    verb = "would place" if preview else "placed"
    lines = [f"{verb} {s['placed']} meetings"
             + (f", {'would move' if preview else 'moved'} {s['moved']}" if s["moved"] else "")
             + f"; {len(s['unplaced'])} could not be placed"]  # fmt: skip
    if s["placed"] or s["moved"]:
        lines.append(f"{s['people_changed']} participants get a changed agenda")
    lines += [f"  moves: {m.text()}" for m in outcome.moved]
    idle_line = f"idle breaks: {s['breaks']} (before: {s['breaks_before']})"
    if s["method"] == "optimiser":
        if s["optimal"]:
            idle_line += ", the fewest possible (proven optimal)"
        else:
            idle_line += f", at least {s['breaks_bound']} are needed (gap {s['gap']})"
        bound = s["fairness_bound"]
        if bound is not None:
            kept = "kept" if s["fairness_kept"] else "NOT kept"
            idle_line += f"; fairness: at most {s['spread']} apart (bound {bound}, {kept})"
        lines.append(idle_line)
        lines += [f"note: {n}" for n in s["notes"]]
    elif s["method"] == "plan":
        lines.append(idle_line + " (the previewed schedule, as shown)")
    else:
        lines.append(idle_line + " (baseline scheduler: not minimised)")
    lines += [f"  {reason}" for reason in _grouped([u["reason"] for u in s["unplaced"]])]
    if preview:
        lines.append("preview only: nothing was stored")
    return lines
