"""The life cycle of alerts: one per meeting, raised, upgraded, closed. Pure.

An alert is raised at seating when someone of a meeting has not checked in (at_risk), by
a participant saying "my partner is not here" (missing_partner), or by a no-show while
someone is here and needs a new partner (needs_partner). A more urgent kind upgrades the
meeting's one alert instead of adding another card. It closes itself when the missing
person checks in (arrived) or a substitute is seated (substituted); a moderator closes it
(waiting, absent, free); and when its round ends every alert still open expires with the
meeting's outcome (see server/core/outcomes.py).
"""

from __future__ import annotations

import dataclasses

from server.core.model import (
    URGENCY,
    Alert,
    AlertKind,
    AlertStatus,
    Meeting,
    MeetingStatus,
    alert_id,
)
from server.core.state import Change, EventState
from server.core.substitutes import rank_substitutes


def present(state: EventState, pid: str) -> bool:
    """Here now: checked in and not departed. The one derivation every audience shows."""
    person = state.participants.get(pid)
    return person is not None and person.present


def split_presence(state: EventState, meeting: Meeting) -> tuple[list[str], list[str]]:
    """The meeting's people who are here, and those who are not."""
    here = [p for p in meeting.people if present(state, p)]
    return here, [p for p in meeting.people if p not in here]


def raise_alert(
    state: EventState,
    meeting: Meeting,
    kind: AlertKind,
    now_ms: int,
    *,
    reporter: str = "",
    waiting: tuple[str, ...] = (),
    no_candidates: bool = False,
) -> Alert | None:
    """The meeting's alert opened (or upgraded) to `kind`; None when an open alert of the
    same or a more urgent kind is there already."""
    assert meeting.round is not None
    old = state.alerts.get(alert_id(meeting.id))
    if old is not None and old.is_open and URGENCY[old.kind] >= URGENCY[kind]:
        return None
    reported = now_ms if kind is not AlertKind.AT_RISK else None
    if old is not None and old.is_open and old.reported_at_ms is not None:
        reported = old.reported_at_ms  # waiting began with the first report
    return Alert(
        id=alert_id(meeting.id),
        kind=kind,
        meeting=meeting.id,
        round=meeting.round,
        table=meeting.table,
        reporter=reporter or (old.reporter if old is not None and old.is_open else ""),
        since_ms=now_ms,
        waiting=waiting,
        reported_at_ms=reported,
        no_candidates=no_candidates,
    )


def close(alert: Alert, resolution: str, now_ms: int, *, expired: bool = False) -> Alert:
    return dataclasses.replace(
        alert,
        status=AlertStatus.EXPIRED if expired else AlertStatus.RESOLVED,
        resolution=resolution,
        closed_at_ms=now_ms,
    )


def open_alert(state: EventState, meeting_id: str) -> Alert | None:
    alert = state.alerts.get(alert_id(meeting_id))
    return alert if alert is not None and alert.is_open else None


def closed_for(
    state: EventState, meeting_ids: list[str], resolution: str, now_ms: int
) -> list[Alert]:
    """The open alerts of these meetings, closed with `resolution`."""
    return [close(a, resolution, now_ms) for m in meeting_ids if (a := open_alert(state, m))]


def needs_partner(
    state: EventState, meeting: Meeting, waiting: list[str], absent: tuple[str, ...], now_ms: int
) -> Alert | None:
    """The alert that keeps "seat someone with these people" in front of the moderators,
    flagged when nobody is free to step in right now."""
    assert meeting.round is not None
    candidates = rank_substitutes(
        state, waiting[0], meeting.round, absent=frozenset(absent), limit=1
    )
    return raise_alert(
        state,
        meeting,
        AlertKind.NEEDS_PARTNER,
        now_ms,
        waiting=tuple(waiting),
        no_candidates=not candidates,
    )


def arrived(state: EventState, pid: str, now_ms: int) -> list[Alert]:
    """Alerts that `pid` checking in answers: at-risk or missing-partner alerts of their
    meetings where, with them here, everyone is here."""
    out = []
    for mid in sorted(state.meetings_of.get(pid, ())):
        alert = open_alert(state, mid)
        if alert is None or alert.kind is AlertKind.NEEDS_PARTNER:
            continue
        meeting = state.meetings[mid]
        if all(p == pid or present(state, p) for p in meeting.people):
            out.append(close(alert, "arrived", now_ms))
    return out


def follow(state: EventState, change: Change, now_ms: int) -> Change:
    """`change` plus what it means for the open alerts of the meetings it moves: an alert
    follows its meeting to another table; it closes when the meeting is cancelled (or its
    no-show undone: nobody waits any more) or moves to another round. Alerts the change
    writes itself are left as they are."""
    written = {r.key for r in change.upserts if isinstance(r, Alert)}
    extra: list[Alert] = []
    for record in change.upserts:
        if not isinstance(record, Meeting) or alert_id(record.id) in written:
            continue
        alert = open_alert(state, record.id)
        if alert is None:
            continue
        if record.status is MeetingStatus.CANCELLED:
            extra.append(close(alert, "cancelled", now_ms))
        elif record.round != alert.round:
            extra.append(close(alert, "moved", now_ms))
        elif alert.kind is AlertKind.NEEDS_PARTNER and record.status is not MeetingStatus.NO_SHOW:
            extra.append(close(alert, "restored", now_ms))
        elif record.table != alert.table:
            extra.append(dataclasses.replace(alert, table=record.table))
    if not extra:
        return change
    return Change(upserts=(*change.upserts, *extra), deletes=change.deletes)
