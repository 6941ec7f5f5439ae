"""What a rehearsal achieved, from the server's own records. Pure: no I/O, no clock.

The report is computed from what the server recorded (the event's state, its `stats`
answer and the audit log), never from what the simulator believes it did: outcomes,
alerts and waits are the server's; only the commands sent and refused are counted on the
simulator's side, because the server keeps no record of a refused command.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from server.client.client_state import LIST_KINDS
from server.core.codec import record_from_plain
from server.core.model import (
    AlertKind,
    Meeting,
    MeetingOrigin,
    MeetingOutcome,
    MeetingStatus,
    Record,
)
from server.core.state import EventState, state_from_records
from server.core.stats import kept_rate

LONG_WAIT_S: Final = 120.0  # "waited without a partner longer than 2 minutes"
_SINGLE: Final = ("event", "clock")  # a moderator's snapshot has no "me"


def state_from_snapshot(data: dict[str, Any], epoch: str = "", version: int = 0) -> EventState:
    """An `EventState` from a moderator's snapshot data (`GET /api/events/{id}`, or a
    follower's `ClientState.snapshot_like()`), so the typed rules can read it."""
    records: list[Record] = []
    for name, value in data.items():
        if name in _SINGLE and value is not None:
            records.append(record_from_plain(name, value))
        elif name in LIST_KINDS and isinstance(value, list):
            records.extend(record_from_plain(LIST_KINDS[name], item) for item in value)
    return state_from_records(records, epoch, version)


@dataclass(slots=True)
class Tally:
    """What only the simulation knows: the commands it sent, the refusals by command and
    error code, and the walk-in requests its people made."""

    sent: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # "command: code"
    walk_in_requests: int = 0

    def note(self, command: str, code: str | None) -> None:
        self.sent[command] += 1
        if code is not None:
            self.refused[f"{command}: {code}"] += 1


@dataclass(frozen=True, slots=True)
class RoundLine:
    round: int
    meetings: int
    held: int
    no_show: int
    substituted: int
    cancelled: int
    pending: int  # no outcome recorded (yet)
    kept_rate: float | None


@dataclass(frozen=True, slots=True)
class Report:
    event: str
    seed: int
    rounds: tuple[RoundLine, ...]
    held: int
    no_show: int
    substituted: int
    cancelled: int
    pending: int
    kept_rate: float | None
    server_kept_rate: float | None  # the server's `stats`
    kept_rate_matches: bool
    substitutions: int  # substitute meetings seated
    walk_ins: int  # walk-in meetings created
    walk_in_requests: int  # people who asked a moderator for one
    substitute_waits: int  # alerts closed by a substitute
    substitute_wait_median_s: float | None
    substitute_wait_worst_s: float | None
    waited_over_2_min: int  # people
    alerts: dict[str, int]  # raised, by their last kind
    needs_partner_without_candidates: int
    alerts_open: int
    participants: int
    checked_in: int
    departed: int
    never_came: int
    outcomes_written_twice: int  # meetings whose outcome the timekeeper wrote more than once
    commands_sent: int
    commands_refused: int
    sent: dict[str, int]  # by command
    refusals: dict[str, int]  # by "command: code"

    def to_plain(self) -> dict[str, Any]:
        return asdict(self) | {"rounds": [asdict(r) for r in self.rounds]}


def _round_line(state: EventState, index: int) -> RoundLine:
    meetings = [state.meetings[m] for m in sorted(state.meetings_in_round.get(index, ()))]
    placed = [m for m in meetings if m.status is not MeetingStatus.REQUESTED]
    outcomes = Counter(m.outcome for m in placed if m.outcome is not None)
    return RoundLine(
        round=index,
        meetings=len(placed),
        held=outcomes[MeetingOutcome.HELD],
        no_show=outcomes[MeetingOutcome.NO_SHOW],
        substituted=outcomes[MeetingOutcome.SUBSTITUTED],
        cancelled=outcomes[MeetingOutcome.CANCELLED],
        pending=sum(1 for m in placed if m.outcome is None),
        kept_rate=kept_rate(outcomes),
    )


def outcome_writes(entries: Iterable[dict[str, Any]]) -> Counter[str]:
    """How often the timekeeper wrote each meeting with an outcome (audit log entries).
    It writes a meeting only to record its outcome, so more than once is a double write,
    even when the second write repeats the first."""
    writes: Counter[str] = Counter()
    for entry in entries:
        if entry.get("actor") != "timekeeper":
            continue
        for change in entry.get("changes", ()):
            after = change.get("after") or {}
            if change.get("kind") == "meeting" and after.get("outcome") is not None:
                writes[change["key"]] += 1
    return writes


def _seated(meetings: Iterable[Meeting], origin: MeetingOrigin) -> int:
    return sum(
        1 for m in meetings if m.origin is origin and m.status is not MeetingStatus.CANCELLED
    )


def _waits(state: EventState, now_ms: int) -> tuple[list[float], int]:
    """Seconds from report (or no-show) to seated substitute, per alert a substitute
    closed; and how many people waited alone longer than LONG_WAIT_S."""
    waits: list[float] = []
    long_waiters: set[str] = set()
    for alert in state.alerts.values():
        if alert.reported_at_ms is None:
            continue
        end = alert.closed_at_ms if alert.closed_at_ms is not None else now_ms
        if alert.resolution == "substituted" and alert.closed_at_ms is not None:
            waits.append((alert.closed_at_ms - alert.reported_at_ms) / 1000)
        if (end - alert.reported_at_ms) / 1000 > LONG_WAIT_S:
            long_waiters.update(alert.waiting or ((alert.reporter,) if alert.reporter else ()))
    return sorted(waits), len(long_waiters)


def build_report(
    state: EventState,
    stats: dict[str, Any],
    audit_entries: list[dict[str, Any]],
    tally: Tally,
    *,
    seed: int,
    now_ms: int,
) -> Report:
    lines = tuple(_round_line(state, index) for index in sorted(state.rounds))
    total: Counter[MeetingOutcome] = Counter()
    for line in lines:
        total[MeetingOutcome.HELD] += line.held
        total[MeetingOutcome.NO_SHOW] += line.no_show
        total[MeetingOutcome.SUBSTITUTED] += line.substituted
    rate = kept_rate(total)
    server_rate = stats.get("kept_rate")
    waits, long_waiters = _waits(state, now_ms)
    people = state.participants.values()
    meetings = state.meetings.values()
    return Report(
        event=state.event.id if state.event else "",
        seed=seed,
        rounds=lines,
        held=total[MeetingOutcome.HELD],
        no_show=total[MeetingOutcome.NO_SHOW],
        substituted=total[MeetingOutcome.SUBSTITUTED],
        cancelled=sum(line.cancelled for line in lines),
        pending=sum(line.pending for line in lines),
        kept_rate=rate,
        server_kept_rate=server_rate,
        kept_rate_matches=rate == server_rate
        or (rate is not None and server_rate is not None and abs(rate - server_rate) < 1e-9),
        substitutions=_seated(meetings, MeetingOrigin.SUBSTITUTE),
        walk_ins=_seated(meetings, MeetingOrigin.WALK_IN),
        walk_in_requests=tally.walk_in_requests,
        substitute_waits=len(waits),
        substitute_wait_median_s=statistics.median(waits) if waits else None,
        substitute_wait_worst_s=waits[-1] if waits else None,
        waited_over_2_min=long_waiters,
        alerts=dict(sorted(Counter(str(a.kind) for a in state.alerts.values()).items())),
        needs_partner_without_candidates=sum(
            1
            for a in state.alerts.values()
            if a.kind is AlertKind.NEEDS_PARTNER and a.no_candidates
        ),
        alerts_open=sum(1 for a in state.alerts.values() if a.is_open),
        participants=len(state.participants),
        checked_in=sum(1 for p in people if p.checked_in),
        departed=sum(1 for p in people if p.departed_at_ms is not None),
        never_came=sum(1 for p in people if not p.checked_in),
        outcomes_written_twice=sum(1 for n in outcome_writes(audit_entries).values() if n > 1),
        commands_sent=sum(tally.sent.values()),
        commands_refused=sum(tally.refused.values()),
        sent=dict(tally.sent.most_common()),
        refusals=dict(sorted(tally.refused.items())),
    )


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"  # an automatic moderator is fast


def format_report(report: Report) -> str:
    """The report as a table for people."""
    out = [f"Rehearsal report: {report.event} (seed {report.seed})", ""]
    head = f"  {'round':>5}  {'meetings':>8}  {'held':>5}  {'no-show':>7}  {'substituted':>11}"
    out.append(head + f"  {'cancelled':>9}  {'pending':>7}  {'kept':>6}")
    total = RoundLine(
        round=0,
        meetings=sum(r.meetings for r in report.rounds),
        held=report.held,
        no_show=report.no_show,
        substituted=report.substituted,
        cancelled=report.cancelled,
        pending=report.pending,
        kept_rate=report.kept_rate,
    )
    for line in (*report.rounds, total):
        name = str(line.round) if line.round else "all"
        out.append(
            f"  {name:>5}  {line.meetings:>8}  {line.held:>5}  {line.no_show:>7}  "
            f"{line.substituted:>11}  {line.cancelled:>9}  {line.pending:>7}  "
            f"{_pct(line.kept_rate):>6}"
        )
    match = "matches" if report.kept_rate_matches else "DIFFERS FROM"
    alerts = ", ".join(f"{k} {n}" for k, n in report.alerts.items()) or "none"
    refusals = ", ".join(f"{k} ×{n}" for k, n in report.refusals.items()) or "none"
    sent = ", ".join(f"{k} {n}" for k, n in report.sent.items())
    rows = [
        ("Kept-meeting rate", f"{_pct(report.kept_rate)} ({match} the server's stats: "
                              f"{_pct(report.server_kept_rate)})"),
        ("Substitutes seated", str(report.substitutions)),
        ("Walk-ins", f"{report.walk_ins} created, {report.walk_in_requests} requested"),
        ("Report to substitute", f"median {_secs(report.substitute_wait_median_s)}, worst "
                                 f"{_secs(report.substitute_wait_worst_s)} "
                                 f"({report.substitute_waits} waits)"),
        ("Waited alone > 2 min", f"{report.waited_over_2_min} people"),
        ("Alerts raised", f"{alerts}; {report.needs_partner_without_candidates} with nobody "
                          "free to step in"),
        ("Alerts open at the end", str(report.alerts_open)),
        ("People", f"{report.participants}: {report.checked_in} checked in, "
                   f"{report.departed} left early, {report.never_came} never came"),
        ("Outcomes written twice", str(report.outcomes_written_twice)),
        ("Commands", f"{report.commands_sent} sent, {report.commands_refused} refused"),
        ("Sent", sent or "none"),
        ("Refused", refusals),
    ]  # fmt: skip
    out.append("")
    out.extend(f"  {label + ':':<24}{value}" for label, value in rows)
    return "\n".join(out)
