"""The records of one event: plain, immutable data with no I/O.

Every record is a frozen dataclass. Records are stored one per Redis hash field, keyed by
`record.key`; changing a record means replacing it (`dataclasses.replace`). Fields marked
private in `PRIVATE_FIELDS` never leave the server except to moderators.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import ClassVar, Final

from server.core.errors import BadRequest

MINUTE_MS: Final = 60_000


class Role(enum.StrEnum):
    """Who is looking: each role sees its own projection of the event (views.py)."""

    MODERATOR = "moderator"
    HALL = "hall"
    PARTICIPANT = "participant"


class MeetingStatus(enum.StrEnum):
    REQUESTED = "requested"  # wanted, not yet placed in a round and at a table
    SCHEDULED = "scheduled"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class MeetingOutcome(enum.StrEnum):
    """What became of a meeting: recorded once when its round ends (by the timekeeper, in
    whichever server process gets there first); a moderator may correct it."""

    HELD = "held"
    NO_SHOW = "no_show"  # `Meeting.absent` says who did not come
    SUBSTITUTED = "substituted"  # someone did not come; the one who did got a new partner
    CANCELLED = "cancelled"


class MeetingOrigin(enum.StrEnum):
    PLANNED = "planned"
    SUBSTITUTE = "substitute"
    WALK_IN = "walk_in"


# Statuses in which a meeting occupies its table and its people in its round.
ACTIVE_STATUSES: Final = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.HELD})
# Statuses in which a meeting has (and must have) a round and a table: the occupying ones,
# and a no-show, which keeps its place for the record.
PLACED_STATUSES: Final = ACTIVE_STATUSES | {MeetingStatus.NO_SHOW}


@dataclass(frozen=True, slots=True)
class EventSettings:
    warning_s: int = 120  # "last minutes" phase before a round ends
    default_capacity: int = 2
    # Seat a substitute by itself when someone is still missing this long into a round.
    auto_substitute: bool = False
    substitute_grace_s: int = 300
    # The event's own words for "round" and "table" on every screen ("Slot", "Booth"), with
    # a German form; empty: the screens' own words ("Round"/"Runde", "Table"/"Tisch"). A
    # German screen uses the German form, else the English one as it is.
    round_label: str = ""
    table_label: str = ""
    round_label_de: str = ""
    table_label_de: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    KIND: ClassVar[str] = "event"
    id: str
    name: str
    timezone: str = "UTC"  # IANA name, for display only: all times are UTC ms
    venue: str = ""
    settings: EventSettings = field(default_factory=EventSettings)
    moderator_token: str = ""  # private
    screen_key: str = ""  # private: hall screens authenticate with it

    @property
    def key(self) -> str:
        return "event"


@dataclass(frozen=True, slots=True)
class Table:
    KIND: ClassVar[str] = "table"
    number: int
    label: str = ""
    zone: str = ""
    capacity: int = 2  # seats; a meeting needs one per person

    @property
    def key(self) -> str:
        return str(self.number)

    @property
    def name(self) -> str:
        return self.label or f"table {self.number}"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    starts_at_ms: int
    ends_at_ms: int

    def covers(self, starts_at_ms: int, ends_at_ms: int) -> bool:
        return self.starts_at_ms <= starts_at_ms and ends_at_ms <= self.ends_at_ms


@dataclass(frozen=True, slots=True)
class Participant:
    KIND: ClassVar[str] = "participant"
    id: str
    name: str
    external_id: str = ""
    organisation: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    title: str = ""
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    email: str = ""  # private
    phone: str = ""  # private
    token: str = ""  # private: the personal link's secret
    # Availability: not in `unavailable_rounds`, and (when windows are given) the whole
    # round lies inside one of `available_windows`.
    unavailable_rounds: frozenset[int] = frozenset()
    available_windows: tuple[TimeWindow, ...] = ()
    check_in_code: str = ""  # private: printed on the badge as a QR code
    checked_in_at_ms: int | None = None
    departed_at_ms: int | None = None  # gone for the rest of the event
    # The table where this person prefers to hold all their meetings (an exhibitor's booth,
    # a cluster's stand): a preference the schedulers follow when it is free, not a rule.
    # It must name an existing table (server/core/rules.py).
    home_table: int | None = None

    @property
    def key(self) -> str:
        return self.id

    @property
    def checked_in(self) -> bool:
        return self.checked_in_at_ms is not None

    @property
    def present(self) -> bool:
        return self.checked_in_at_ms is not None and self.departed_at_ms is None

    @property
    def surname(self) -> str:
        return self.name.rsplit(" ", 1)[-1]

    @property
    def name_and_organisation(self) -> str:
        """How messages name a person: "Anna Berg (Nordic Wind)", or just the name."""
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    def is_available(self, rnd: Round) -> bool:
        if rnd.index in self.unavailable_rounds:
            return False
        if not self.available_windows:
            return True
        return any(w.covers(rnd.starts_at_ms, rnd.ends_at_ms) for w in self.available_windows)


@dataclass(frozen=True, slots=True)
class Round:
    KIND: ClassVar[str] = "round"
    index: int  # 1-based, in time order across all days
    day: int  # 1-based
    starts_at_ms: int  # when meetings start (planned)
    meeting_s: int = 20 * 60
    changeover_s: int = 5 * 60  # the seating time before the round starts
    label: str = ""
    skipped: bool = False  # a moderator skipped it: no meetings are held

    @property
    def key(self) -> str:
        return str(self.index)

    @property
    def ends_at_ms(self) -> int:
        return self.starts_at_ms + self.meeting_s * 1000

    @property
    def seating_at_ms(self) -> int:
        return self.starts_at_ms - self.changeover_s * 1000


@dataclass(frozen=True, slots=True)
class Break:
    """A pause between blocks of rounds (coffee, lunch), shown on screens."""

    KIND: ClassVar[str] = "break"
    id: str
    day: int
    starts_at_ms: int
    ends_at_ms: int
    label: str = "Break"

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Meeting:
    """A 1:1 meeting between two sides; a side is one or more people of one organisation."""

    KIND: ClassVar[str] = "meeting"
    id: str
    side_a: tuple[str, ...]
    side_b: tuple[str, ...]
    round: int | None = None
    table: int | None = None
    status: MeetingStatus = MeetingStatus.REQUESTED
    origin: MeetingOrigin = MeetingOrigin.PLANNED
    external_id: str = ""
    note: str = ""
    absent: tuple[str, ...] = ()  # who did not come (a no-show or a departure)
    replaced_by: str = ""  # the substitute meeting that took this one's place
    outcome: MeetingOutcome | None = None  # None until its round ends
    # What the organiser asked of its place: the rounds it may be held in (empty: any), the
    # meetings (ids) to be held strictly before it, and whether schedulers must keep its
    # round and table (a moderator may still move it; the rules check the rest on every
    # change, server/core/rules.py).
    rounds: tuple[int, ...] = ()
    after: tuple[str, ...] = ()
    fixed: bool = False

    @property
    def key(self) -> str:
        return self.id

    @property
    def people(self) -> tuple[str, ...]:
        return self.side_a + self.side_b

    @property
    def is_placed(self) -> bool:
        return self.round is not None and self.table is not None

    @property
    def occupies(self) -> bool:
        """Whether it holds its people and table in its round."""
        return self.is_placed and self.status in ACTIVE_STATUSES

    def partners_of(self, participant_id: str) -> tuple[str, ...]:
        if participant_id in self.side_a:
            return self.side_b
        if participant_id in self.side_b:
            return self.side_a
        return ()


class AlertKind(enum.StrEnum):
    """In rising urgency: an alert is upgraded, never downgraded (see `URGENCY`)."""

    AT_RISK = "at_risk"  # at seating time, someone in the meeting has not checked in
    MISSING_PARTNER = "missing_partner"  # reported from a phone: "my partner is not here"
    NEEDS_PARTNER = "needs_partner"  # a no-show while someone is here: seat a substitute


URGENCY: Final[dict[AlertKind, int]] = {kind: n for n, kind in enumerate(AlertKind)}


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # a moderator, a check-in or a substitute closed it
    EXPIRED = "expired"  # its round ended while it was open


@dataclass(frozen=True, slots=True)
class Alert:
    """Something a moderator must look at, e.g. someone waiting alone at a table. There is
    at most one per meeting (`alert_id`): a more urgent kind upgrades it."""

    KIND: ClassVar[str] = "alert"
    id: str
    kind: AlertKind
    meeting: str
    round: int
    table: int | None
    reporter: str  # the participant who reported it ("" when the timekeeper raised it)
    since_ms: int  # raised, or last upgraded
    status: AlertStatus = AlertStatus.OPEN
    resolution: str = ""  # arrived, waiting, absent, substituted, free, or the outcome
    waiting: tuple[str, ...] = ()  # needs_partner: who is here and needs a new partner
    reported_at_ms: int | None = None  # first "not here" report or no-show: waiting began
    closed_at_ms: int | None = None
    no_candidates: bool = False  # needs_partner: nobody could step in when it was raised

    @property
    def key(self) -> str:
        return self.id

    @property
    def is_open(self) -> bool:
        return self.status is AlertStatus.OPEN


def alert_id(meeting_id: str) -> str:
    return f"alert-{meeting_id}"


@dataclass(frozen=True, slots=True)
class Bell:
    """A phase boundary that happened (seating, start, warning, end of a round): recorded
    exactly once, whichever server process got there first. Screens sound it."""

    KIND: ClassVar[str] = "bell"
    id: str  # "<round>-<cue>"
    round: int
    cue: str  # server.core.clock.Cue
    at_ms: int  # the boundary's planned time
    recorded_at_ms: int

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Clock:
    """The event's one clock. Round times are absolute; while paused, every countdown
    stands still at `paused_at_ms`, and resuming shifts the rounds not yet over."""

    KIND: ClassVar[str] = "clock"
    paused_at_ms: int | None = None

    @property
    def key(self) -> str:
        return "clock"


class AnnouncementAudience(enum.StrEnum):
    EVERYONE = "everyone"  # hall screens and phones
    HALL = "hall"  # hall screens only


@dataclass(frozen=True, slots=True)
class Announcement:
    KIND: ClassVar[str] = "announcement"
    id: str
    text: str
    audience: AnnouncementAudience = AnnouncementAudience.EVERYONE
    created_at_ms: int = 0
    expires_at_ms: int | None = None  # None: until removed

    @property
    def key(self) -> str:
        return self.id

    def is_active(self, now_ms: int) -> bool:
        return self.expires_at_ms is None or now_ms < self.expires_at_ms


Record = Event | Table | Participant | Round | Break | Meeting | Announcement | Clock | Alert | Bell

# Kinds in the order a fresh load applies them; the value is the record class.
KINDS: Final[dict[str, type[Record]]] = {
    cls.KIND: cls
    for cls in (Event, Table, Participant, Round, Break, Meeting, Announcement, Clock, Alert, Bell)
}

PRIVATE_FIELDS: Final[dict[str, frozenset[str]]] = {
    Event.KIND: frozenset({"moderator_token", "screen_key"}),
    Participant.KIND: frozenset({"email", "phone", "token", "check_in_code"}),
    # Moderators' remarks (e.g. about a no-show) and the organiser's placement constraints:
    # screens and phones never need those, and 10,000 devices need not carry them.
    Meeting.KIND: frozenset({"note", "rounds", "after", "fixed"}),
}

# Secrets: what lets someone act as a person, a screen or a moderator. They never leave the
# server in an audit record or an export (the badge/links export excepted, on purpose).
SECRET_FIELDS: Final[dict[str, frozenset[str]]] = {
    Event.KIND: frozenset({"moderator_token", "screen_key"}),
    Participant.KIND: frozenset({"token", "check_in_code"}),
}


# An event id: the key of all its Redis keys and a part of every link (server/edge/store.py).
EVENT_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_event_id(event_id: str) -> str:
    if not EVENT_ID_RE.match(event_id):
        raise BadRequest(
            f"event id {event_id!r} is not valid: use 1-63 lowercase letters, digits and "
            "dashes, starting with a letter or digit"
        )
    return event_id
