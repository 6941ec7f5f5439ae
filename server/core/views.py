"""What each audience may see of an event: snapshots and per-change projections. Pure.

- Moderators see everything, private fields included.
- Hall screens see the public plan: event, tables, rounds, breaks, announcements, every
  meeting, and everyone's public profile (name, organisation, country, ...).
- A participant sees the public event data, the announcements for everyone, their own
  record (without its token), their own meetings, their partners' public profiles, and
  the needs_partner alerts they wait in (so their phone can say a new partner is sought).

Every participant record, whoever sees it, carries `present` (checked in, not departed):
the one derivation of "is this person here" (model.Participant.present).

Private fields (model.PRIVATE_FIELDS: emails, phones, tokens, meeting notes) reach
moderators only. Changes are lists: upserts `[kind, record]` and deletes `[kind, key]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from server.core.codec import to_plain
from server.core.model import (
    PRIVATE_FIELDS,
    Alert,
    AlertKind,
    Announcement,
    AnnouncementAudience,
    Event,
    Meeting,
    Participant,
    Record,
    Role,
)
from server.core.state import ChangeRecord, EventState

PUBLIC_PROFILE: Final = ("id", "name", "organisation", "country", "title", "tags", "languages")
# Record kinds every audience sees in full (after private fields are removed).
_SHARED_KINDS: Final = frozenset({"table", "round", "break", "clock", "bell"})


@dataclass(frozen=True, slots=True)
class Audience:
    role: Role
    participant_id: str | None = None


def plain_record(record: Record, *, private: bool) -> dict[str, Any]:
    data: dict[str, Any] = to_plain(record)
    if not private:
        for name in PRIVATE_FIELDS.get(record.KIND, ()):
            data.pop(name, None)
    if isinstance(record, Participant):
        data["present"] = record.present
    return data


def waits_in(alert: Alert, pid: str) -> bool:
    """Whether a participant sees this alert: they are the one waiting for a partner."""
    return alert.kind is AlertKind.NEEDS_PARTNER and pid in alert.waiting


def public_profile(person: Participant) -> dict[str, Any]:
    profile = {name: to_plain(getattr(person, name)) for name in PUBLIC_PROFILE}
    # Whether they are here (checked in, not departed): a phone tells its owner before
    # walking to the table that the partner has not arrived.
    profile["present"] = person.present
    return profile


def own_profile(person: Participant) -> dict[str, Any]:
    data = plain_record(person, private=True)
    del data["token"]
    return data


R = TypeVar("R", bound=Record)


def _sorted(records: Iterable[R]) -> list[R]:
    return sorted(records, key=lambda r: r.key)


def _public_lists(state: EventState, private: bool) -> dict[str, Any]:
    def plain(records: Iterable[Any]) -> list[dict[str, Any]]:
        return [plain_record(r, private=private) for r in records]

    return {
        "event": None if state.event is None else plain_record(state.event, private=private),
        "tables": plain(sorted(state.tables.values(), key=lambda t: t.number)),
        "rounds": plain(sorted(state.rounds.values(), key=lambda r: r.index)),
        "breaks": plain(sorted(state.breaks.values(), key=lambda b: b.starts_at_ms)),
        "clock": to_plain(state.clock),
        "bells": [to_plain(b) for b in sorted(state.bells.values(), key=lambda b: b.at_ms)],
    }


def _partners(state: EventState, pid: str) -> set[str]:
    out: set[str] = set()
    for mid in state.meetings_of.get(pid, ()):
        out.update(state.meetings[mid].partners_of(pid))
    return out


def snapshot(state: EventState, audience: Audience) -> dict[str, Any]:
    if audience.role is Role.MODERATOR:
        data = _public_lists(state, private=True)
        data["participants"] = [
            plain_record(p, private=True) for p in _sorted(state.participants.values())
        ]
        data["meetings"] = [plain_record(m, private=True) for m in _sorted(state.meetings.values())]
        data["announcements"] = [to_plain(a) for a in _sorted(state.announcements.values())]
        data["alerts"] = [to_plain(a) for a in _sorted(state.alerts.values())]
        return data
    if audience.role is Role.HALL:
        data = _public_lists(state, private=False)
        data["participants"] = [public_profile(p) for p in _sorted(state.participants.values())]
        data["meetings"] = [
            plain_record(m, private=False) for m in _sorted(state.meetings.values())
        ]
        data["announcements"] = [to_plain(a) for a in _sorted(state.announcements.values())]
        return data
    pid = audience.participant_id
    assert pid is not None
    data = _public_lists(state, private=False)
    me = state.participants.get(pid)
    data["me"] = None if me is None else own_profile(me)
    data["meetings"] = [
        plain_record(state.meetings[mid], private=False)
        for mid in sorted(state.meetings_of.get(pid, ()))
    ]
    data["participants"] = [
        public_profile(state.participants[p])
        for p in sorted(_partners(state, pid))
        if p in state.participants
    ]
    data["announcements"] = [
        to_plain(a)
        for a in _sorted(state.announcements.values())
        if isinstance(a, Announcement) and a.audience is AnnouncementAudience.EVERYONE
    ]
    data["alerts"] = [to_plain(a) for a in _sorted(state.alerts.values()) if waits_in(a, pid)]
    return data


@dataclass
class Changes:
    upserts: list[list[Any]] = field(default_factory=list)
    deletes: list[list[str]] = field(default_factory=list)

    def to_plain(self) -> dict[str, Any]:
        return {"upserts": self.upserts, "deletes": self.deletes}

    def merged(self, other: Changes) -> Changes:
        return Changes(self.upserts + other.upserts, self.deletes + other.deletes)


@dataclass
class Projection:
    """One committed change as each audience sees it."""

    moderator: Changes
    hall: Changes
    participants: Changes  # what every participant sees
    personal: dict[str, Changes]  # and what only some participants see, on top

    def for_audience(self, audience: Audience) -> Changes:
        if audience.role is Role.MODERATOR:
            return self.moderator
        if audience.role is Role.HALL:
            return self.hall
        assert audience.participant_id is not None
        extra = self.personal.get(audience.participant_id)
        return self.participants if extra is None else self.participants.merged(extra)


def project(record: ChangeRecord, state: EventState) -> Projection:
    """Split a change by audience. `state` is the state after the change (partner lookups)."""
    projector = _Projector(state)
    upserts = record.change.upserts
    keys = [(r.KIND, r.key) for r in upserts] + list(record.change.deletes)
    for i, (kind, key) in enumerate(keys):
        after = upserts[i] if i < len(upserts) else None
        before = record.before[i] if i < len(record.before) else None
        projector.add(kind, key, before, after)
    return projector.out


class _Projector:
    def __init__(self, state: EventState) -> None:
        self.state = state
        self.out = Projection(Changes(), Changes(), Changes(), {})

    def personal(self, pid: str) -> Changes:
        return self.out.personal.setdefault(pid, Changes())

    @staticmethod
    def put(changes: Changes, kind: str, key: str, data: dict[str, Any] | None) -> None:
        """An upsert of `data`, or a delete of `key` when there is no data."""
        if data is None:
            changes.deletes.append([kind, key])
        else:
            changes.upserts.append([kind, data])

    def add(self, kind: str, key: str, before: Record | None, after: Record | None) -> None:
        out = self.out
        self.put(
            out.moderator, kind, key, None if after is None else plain_record(after, private=True)
        )
        either = after or before
        if kind in _SHARED_KINDS or isinstance(either, Event):
            public = None if after is None else plain_record(after, private=False)
            self.put(out.hall, kind, key, public)
            self.put(out.participants, kind, key, public)
        elif isinstance(either, Announcement):
            self.announcement(kind, key, before, after)
        elif isinstance(either, Participant):
            assert before is None or isinstance(before, Participant)
            assert after is None or isinstance(after, Participant)
            self.participant(kind, key, before, after)
        elif isinstance(either, Meeting):
            assert before is None or isinstance(before, Meeting)
            assert after is None or isinstance(after, Meeting)
            self.meeting(kind, key, before, after)
        elif isinstance(either, Alert):
            assert before is None or isinstance(before, Alert)
            assert after is None or isinstance(after, Alert)
            self.alert(kind, key, before, after)

    def announcement(
        self, kind: str, key: str, before: Record | None, after: Record | None
    ) -> None:
        self.put(self.out.hall, kind, key, None if after is None else to_plain(after))

        def public(a: Record | None) -> bool:
            return isinstance(a, Announcement) and a.audience is AnnouncementAudience.EVERYONE

        if public(after) or public(before):
            self.put(self.out.participants, kind, key, to_plain(after) if public(after) else None)

    def participant(
        self, kind: str, key: str, before: Participant | None, after: Participant | None
    ) -> None:
        if after is None:
            self.put(self.out.hall, kind, key, None)
            self.put(self.personal(key), kind, key, None)
            return
        profile = public_profile(after)
        if before is None or public_profile(before) != profile:
            self.out.hall.upserts.append([kind, profile])
            for partner in _partners(self.state, key):
                self.personal(partner).upserts.append([kind, profile])
        if before is None or own_profile(before) != own_profile(after):
            self.personal(key).upserts.append(["me", own_profile(after)])

    def alert(self, kind: str, key: str, before: Alert | None, after: Alert | None) -> None:
        """To the people waiting in it; a delete to those who no longer are."""

        def seen_by(alert: Alert | None) -> set[str]:
            return set() if alert is None else {p for p in alert.waiting if waits_in(alert, p)}

        now, was = seen_by(after), seen_by(before)
        for pid in sorted(now):
            self.personal(pid).upserts.append([kind, to_plain(after)])
        for pid in sorted(was - now):
            self.personal(pid).deletes.append([kind, key])

    def meeting(self, kind: str, key: str, before: Meeting | None, after: Meeting | None) -> None:
        data = None if after is None else plain_record(after, private=False)
        self.put(self.out.hall, kind, key, data)
        people_after = set(after.people) if after else set()
        for pid in set(before.people if before else ()) - people_after:
            self.personal(pid).deletes.append([kind, key])
        if before is not None:
            # Partners this change took away, unless they meet again elsewhere.
            for pid in before.people:
                still = _partners(self.state, pid)
                for partner in before.partners_of(pid):
                    if partner not in still:
                        self.personal(pid).deletes.append([Participant.KIND, partner])
        if after is None or data is None:
            return
        for pid in people_after:
            mine = self.personal(pid)
            mine.upserts.append([kind, data])
            for partner in after.partners_of(pid):
                person = self.state.participants.get(partner)
                if person is not None:
                    mine.upserts.append([Participant.KIND, public_profile(person)])
