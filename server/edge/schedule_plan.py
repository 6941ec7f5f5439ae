"""A previewed schedule, applied exactly as shown (issue #11 item 4).

The optimiser may find another schedule when run again (two threads, a time limit), so
"preview, then run it for real" could store something other than what the organiser
read. Instead, a preview's answer carries its `plan`: every meeting it places or moves,
with its round and table and a fingerprint of the meeting as the preview saw it. Posting
the plan back (`{"apply": plan}`) stores those placements, nothing else, in one commit:
if any of its meetings changed since (moved, cancelled, deleted), it is a `conflict` and
nothing is stored; the live rules check the rest, as for every change. The plan is plain
JSON the client keeps, so any server process can apply it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from server.core.codec import pack_record
from server.core.errors import BadRequest, Conflict
from server.core.model import Meeting, MeetingStatus
from server.core.state import EventState


@dataclass(frozen=True, slots=True)
class Placement:
    meeting_id: str
    round: int
    table: int
    was: str  # the meeting's fingerprint when the plan was made


@dataclass(frozen=True, slots=True)
class Plan:
    version: int  # the event's version the preview read
    placements: tuple[Placement, ...]


def fingerprint(meeting: Meeting) -> str:
    """A short digest of the whole stored record: any change to the meeting changes it."""
    return hashlib.blake2b(pack_record(meeting), digest_size=8).hexdigest()


def plan_of(base: EventState, placed: tuple[Meeting, ...]) -> dict[str, Any]:
    """The plan of a preview that read `base` and would store `placed`, as JSON."""
    rows = [
        {"meeting_id": m.id, "round": m.round, "table": m.table,
         "was": fingerprint(base.meetings[m.id])}
        for m in placed
    ]  # fmt: skip
    return {"version": base.version, "meetings": rows}


def parse_plan(value: Any) -> Plan:
    """A plan from a request body's `apply`; BadRequest says what is wrong and where."""
    if not isinstance(value, dict) or not isinstance(value.get("meetings"), list):
        raise BadRequest('apply must be the "plan" of a preview answer: '
                         '{"version": ..., "meetings": [...]}')  # fmt: skip
    version = value.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise BadRequest(f"apply.version must be a whole number ≥ 0, not {version!r}")
    placements = []
    seen: set[str] = set()
    for i, row in enumerate(value["meetings"]):
        where = f"apply.meetings[{i}]"
        if not isinstance(row, dict):
            raise BadRequest(f"{where} must be an object with meeting_id, round, table, was")
        mid, was = row.get("meeting_id"), row.get("was")
        if not isinstance(mid, str) or not mid:
            raise BadRequest(f"{where}.meeting_id must be a meeting id, not {mid!r}")
        if mid in seen:
            raise BadRequest(f"{where}: meeting {mid} appears twice in the plan")
        seen.add(mid)
        if not isinstance(was, str) or not was:
            raise BadRequest(f"{where}.was must be the fingerprint the preview gave, not {was!r}")
        numbers = []
        for name in ("round", "table"):
            n = row.get(name)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise BadRequest(f"{where}.{name} must be a whole number ≥ 1, not {n!r}")
            numbers.append(n)
        placements.append(Placement(mid, numbers[0], numbers[1], was))
    return Plan(version, tuple(placements))


def read_plan(path: Path) -> Plan:
    """A plan saved by `matchboard schedule --preview --save-plan`."""
    try:
        return parse_plan(orjson.loads(path.read_bytes()))
    except OSError as e:
        raise BadRequest(f"cannot read the plan {path}: {e.strerror}") from e
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"{path} is not a saved plan (not JSON: {e})") from e


def planned(state: EventState, plan: Plan) -> tuple[Meeting, ...]:
    """The meetings as the plan places them, from `state`; Conflict when one of them is
    gone or changed since the preview (nothing may be applied then)."""
    out = []
    for p in plan.placements:
        m = state.meetings.get(p.meeting_id)
        if m is None:
            raise Conflict(f"meeting {p.meeting_id} no longer exists: nothing was stored, "
                           "preview again")  # fmt: skip
        if fingerprint(m) != p.was:
            name = m.external_id or m.id
            raise Conflict(f"meeting {name} changed since the preview (version {plan.version}, "
                           f"now {state.version}): nothing was stored, preview again")  # fmt: skip
        out.append(dataclasses.replace(m, round=p.round, table=p.table,
                                       status=MeetingStatus.SCHEDULED))  # fmt: skip
    return tuple(out)


def left_out(state: EventState, placed: tuple[Meeting, ...]) -> list[tuple[str, str]]:
    """(meeting id, reason) of the requests an applied plan leaves waiting."""
    ids = {m.id for m in placed}
    return [
        (m.id, f"meeting {m.external_id or m.id}: the previewed schedule leaves it out "
               "(the preview said why)")
        for m in state.meetings.values()
        if m.status is MeetingStatus.REQUESTED and m.id not in ids
    ]  # fmt: skip
