"""What each audience may see of an event: snapshots and per-change projections. Pure.

- Moderators see everything, private fields included.
- Hall screens see the public plan: event, tables, rounds, breaks, announcements, every
  meeting, and everyone's public profile (name, organisation, country, ...).
- A participant sees the public event data, the announcements for everyone, their own
  record (without its token), their own meetings, and their partners' public profiles.

Private fields (model.PRIVATE_FIELDS: emails, phones, tokens, meeting notes) reach
moderators only. Changes are lists: upserts `[kind, record]` and deletes `[kind, key]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from server.codec import to_plain
from server.model import (
    PRIVATE_FIELDS,
    Announcement,
    AnnouncementAudience,
    Event,
    Meeting,
    Participant,
    Record,
)
from server.protocol import Role
from server.state import ChangeRecord, EventState

PUBLIC_PROFILE: Final = ("id", "name", "organisation", "country", "title", "tags", "languages")
# Record kinds every audience sees in full (after private fields are removed).
_SHARED_KINDS: Final = frozenset({"table", "round", "break"})


@dataclass(frozen=True, slots=True)
class Audience:
    role: Role
    participant_id: str | None = None


def plain_record(record: Record, *, private: bool) -> dict[str, Any]:
    data: dict[str, Any] = to_plain(record)
    if not private:
        for name in PRIVATE_FIELDS.get(record.KIND, ()):
            data.pop(name, None)
    return data


def public_profile(person: Participant) -> dict[str, Any]:
    return {name: to_plain(getattr(person, name)) for name in PUBLIC_PROFILE}


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
    out = Projection(Changes(), Changes(), Changes(), {})

    def personal(pid: str) -> Changes:
        return out.personal.setdefault(pid, Changes())

    n_upserts = len(record.change.upserts)
    for i, (kind, key) in enumerate(
        [(r.KIND, r.key) for r in record.change.upserts] + list(record.change.deletes)
    ):
        after = record.change.upserts[i] if i < n_upserts else None
        before = record.before[i] if i < len(record.before) else None
        _project_one(out, personal, state, kind, key, before, after)
    return out


def _project_one(
    out: Projection,
    personal: Any,
    state: EventState,
    kind: str,
    key: str,
    before: Record | None,
    after: Record | None,
) -> None:
    if after is None:
        out.moderator.deletes.append([kind, key])
    else:
        out.moderator.upserts.append([kind, plain_record(after, private=True)])

    if kind in _SHARED_KINDS or isinstance(after or before, Event):
        for changes in (out.hall, out.participants):
            if after is None:
                changes.deletes.append([kind, key])
            else:
                changes.upserts.append([kind, plain_record(after, private=False)])
    elif isinstance(after or before, Announcement):
        _project_announcement(out, kind, key, before, after)
    elif isinstance(after or before, Participant):
        _project_participant(out, personal, state, kind, key, before, after)
    elif isinstance(after or before, Meeting):
        _project_meeting(out, personal, state, kind, key, before, after)


def _project_announcement(
    out: Projection, kind: str, key: str, before: Record | None, after: Record | None
) -> None:
    if after is None:
        out.hall.deletes.append([kind, key])
    else:
        out.hall.upserts.append([kind, to_plain(after)])
    public_after = (
        isinstance(after, Announcement) and after.audience is AnnouncementAudience.EVERYONE
    )
    public_before = (
        isinstance(before, Announcement) and before.audience is AnnouncementAudience.EVERYONE
    )
    if public_after:
        out.participants.upserts.append([kind, to_plain(after)])
    elif public_before:
        out.participants.deletes.append([kind, key])


def _project_participant(
    out: Projection,
    personal: Any,
    state: EventState,
    kind: str,
    key: str,
    before: Record | None,
    after: Record | None,
) -> None:
    assert before is None or isinstance(before, Participant)
    assert after is None or isinstance(after, Participant)
    if after is None:
        out.hall.deletes.append([kind, key])
        personal(key).deletes.append([kind, key])
        return
    profile = public_profile(after)
    if before is None or public_profile(before) != profile:
        out.hall.upserts.append([kind, profile])
        for partner in _partners(state, key):
            personal(partner).upserts.append([kind, profile])
    if before is None or own_profile(before) != own_profile(after):
        personal(key).upserts.append(["me", own_profile(after)])


def _project_meeting(
    out: Projection,
    personal: Any,
    state: EventState,
    kind: str,
    key: str,
    before: Record | None,
    after: Record | None,
) -> None:
    assert before is None or isinstance(before, Meeting)
    assert after is None or isinstance(after, Meeting)
    if after is None:
        out.hall.deletes.append([kind, key])
    else:
        out.hall.upserts.append([kind, plain_record(after, private=False)])
    people_after = set(after.people) if after else set()
    for pid in set(before.people if before else ()) - people_after:
        personal(pid).deletes.append([kind, key])
    if before is not None:
        # Partners this change took away, unless they meet again elsewhere.
        for pid in before.people:
            still = _partners(state, pid)
            for partner in before.partners_of(pid):
                if partner not in still:
                    personal(pid).deletes.append([Participant.KIND, partner])
    if after is None:
        return
    data = plain_record(after, private=False)
    for pid in people_after:
        mine = personal(pid)
        mine.upserts.append([kind, data])
        for partner in after.partners_of(pid):
            person = state.participants.get(partner)
            if person is not None:
                mine.upserts.append([Participant.KIND, public_profile(person)])
