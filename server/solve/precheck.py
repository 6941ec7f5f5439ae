"""Before solving: who or what cannot fit, named ("Anna Berg has 9 requests but 8 free
AM slots"), and the meetings that cannot be placed at all.

Counting arguments only, so each finding is certain but the list is not complete: a
problem that passes may still leave meetings unplaced (the solver then gives a reason per
meeting from the final schedule, `reason_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.solve.problem import Problem


@dataclass(frozen=True, slots=True)
class Finding:
    text: str
    meetings: tuple[str, ...]  # the meetings it concerns (at least one of them stays out)


@dataclass(frozen=True, slots=True)
class Precheck:
    impossible: Mapping[str, str]  # meeting id -> why it cannot be placed in any slot
    findings: tuple[Finding, ...]  # overloaded people and sessions

    def reason(self, meeting_id: str) -> str:
        if meeting_id in self.impossible:
            return self.impossible[meeting_id]
        for f in self.findings:
            if meeting_id in f.meetings:
                return f.text
        return ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _describe(problem: Problem, slots: frozenset[int]) -> str:
    """A set of slots by its session name when it is exactly one session ("AM "), else ""
    (the count or the span that follows says which)."""
    for name in sorted({s.session for s in problem.slots if s.session}):
        if slots == {s.index for s in problem.slots if s.session == name}:
            return name + " "
    return ""


def impossible(problem: Problem) -> dict[str, str]:
    out = {}
    for m in problem.meetings:
        if problem.allowed[m.id]:
            continue
        where, n = problem.label(m.id), problem.noun
        own = problem.rule_slots(m)
        if m.fixed_slot is not None:
            away = [problem.person[p].label for p in m.people
                    if m.fixed_slot in problem.person[p].unavailable]  # fmt: skip
            if away:
                out[m.id] = f"{where} is fixed to {n} {m.fixed_slot}, when {away[0]} is away"
            else:
                out[m.id] = f"{where} is fixed to {n} {m.fixed_slot}, outside its restrictions"
        elif not own:
            out[m.id] = f"{where}: no {n} satisfies its session, {n}s and table restrictions"
        else:
            out[m.id] = f"{where}: no {n} in which all of them are available"
    chain = _chain_problems(problem, out)
    return {**out, **chain}


def _chain_problems(problem: Problem, dropped: Mapping[str, str]) -> dict[str, str]:
    """Meetings whose precedence chain cannot fit in their allowed slots, when every
    meeting before them is placed."""
    out = {}
    for mid, (lo, hi) in windows(problem).items():
        if mid not in dropped and lo > hi:
            out[mid] = (
                f"{problem.label(mid)} must follow a chain of meetings that leaves it no "
                f"{problem.noun} "
                f"(earliest {lo}, latest {hi})"
            )
    return out


def windows(problem: Problem) -> dict[str, tuple[int, int]]:
    """Meeting id -> (earliest, latest) slot allowed by its own slots and precedence
    chains, assuming every meeting in the chain is placed. Ignores cycles (validated)."""
    order = _topological(problem)
    lo: dict[str, int] = {}
    for mid in order:
        allowed = problem.allowed[mid] or (10**9,)
        lo[mid] = max([allowed[0], *(lo[b] + 1 for b in problem.meeting[mid].after)])
    hi: dict[str, int] = {}
    for mid in reversed(order):
        allowed = problem.allowed[mid] or (-(10**9),)
        hi[mid] = min([allowed[-1], *(hi[a] - 1 for a in problem.successors[mid])])
    return {mid: (lo[mid], hi[mid]) for mid in order}


def _topological(problem: Problem) -> list[str]:
    indegree = {m.id: len(m.after) for m in problem.meetings}
    ready = [m.id for m in problem.meetings if not m.after]
    out = []
    while ready:
        mid = ready.pop()
        out.append(mid)
        for nxt in problem.successors[mid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    return out


def precheck(problem: Problem) -> Precheck:
    gone = impossible(problem)
    findings: list[Finding] = []
    for p in problem.people:
        ids = [i for i in problem.meetings_of[p.id] if i not in gone]
        for slots in sorted({frozenset(problem.allowed[i]) for i in ids}, key=sorted):
            inside = [i for i in ids if set(problem.allowed[i]) <= slots]
            union = frozenset().union(*(problem.allowed[i] for i in inside))
            if len(inside) > len(union):
                findings.append(Finding(
                    f"{p.label} has {_count(len(inside), 'request')} but "
                    f"{len(union)} free {_describe(problem, union)}{problem.noun}s",
                    tuple(inside),
                ))  # fmt: skip
    # Per session (the meetings' own restrictions, not availability: few distinct sets).
    own = {m.id: frozenset(problem.rule_slots(m)) for m in problem.meetings if m.id not in gone}
    for slots in sorted(set(own.values()), key=sorted):
        inside = [mid for mid, mine in own.items() if mine <= slots]
        capacity = sum(problem.slot[s].tables for s in slots)
        if len(inside) > capacity:
            findings.append(Finding(
                f"{_count(len(inside), 'meeting')} can only be held in the "
                f"{_describe(problem, slots)}{problem.noun}s {_span(slots)}, which have "
                f"{_count(capacity, 'table')} in all",
                tuple(inside),
            ))  # fmt: skip
    return Precheck(impossible=gone, findings=tuple(findings))


def _span(slots: frozenset[int]) -> str:
    ordered = sorted(slots)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 1 else str(ordered[0])
    return ", ".join(map(str, ordered))
