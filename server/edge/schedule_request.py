"""The schedule endpoint's JSON body as `ScheduleOptions` (docs/api.md,
`POST /api/events/{event_id}/schedule`)."""

from __future__ import annotations

from typing import Any

from server.core.errors import BadRequest
from server.edge import schedule_plan
from server.edge.planning import ScheduleOptions


def schedule_options(body: dict[str, Any]) -> ScheduleOptions:
    """`ScheduleOptions` from an HTTP body; BadRequest names the first wrong field. With
    `apply` (a preview's plan, `schedule_plan`), nothing else may be given."""
    known = {"fast", "time_limit_s", "seed", "workers", "fairness", "reschedule", "preview",
             "apply"}  # fmt: skip
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(
            f"unknown schedule option {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    if "apply" in body:
        others = sorted(set(body) - {"apply"})
        if others:
            raise BadRequest(f"apply stores a preview's plan as it is: it takes no other "
                             f"option ({others[0]!r} given)")  # fmt: skip
        return ScheduleOptions(apply=schedule_plan.parse_plan(body["apply"]))
    out: dict[str, Any] = {}
    for name in ("fast", "reschedule", "preview"):
        if name in body:
            if not isinstance(body[name], bool):
                raise BadRequest(f"{name} must be true or false, not {body[name]!r}")
            out[name] = body[name]
    if "time_limit_s" in body:
        limit = body["time_limit_s"]
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit <= 600:
            raise BadRequest(f"time_limit_s must be a number of seconds in (0, 600], not {limit!r}")
        out["time_limit_s"] = float(limit)
    for name, low in (("seed", 0), ("workers", 0), ("fairness", 0)):
        if name in body:
            value = body[name]
            if name == "fairness" and value is None:
                out[name] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise BadRequest(f"{name} must be a whole number ≥ {low}, not {value!r}")
            out[name] = value
    return ScheduleOptions(**out)
