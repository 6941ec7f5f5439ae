"""Printed material as PDF (issue #12 item 3): per-person agendas, table signs, badges and
the moderator's round sheets, on A4 or Letter.

Pure: state and options in, PDF bytes out. No clock: the version stamp's time is the time
of the event's last change, given in `PrintOptions.changed_at_ms` (the edge reads it from
the change log), and it is also the PDF's creation date, so the same state prints the same
bytes. The one file read is the bundled font, DejaVu Sans (server/core/fonts/, with its
licence): it has every letter of European names (Ł, ğ, ő, ș, ė, Ø, İ, Ā, ß), and fpdf2
embeds only the glyphs a document uses.

The documents themselves are in `printed_people.py` (agendas, badges) and
`printed_tables.py` (table signs, round sheets); this module holds what they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Final

import segno
from fpdf import FPDF

from server.core.errors import BadRequest
from server.core.exporter import phone_link as phone_link  # as the badge export builds it
from server.core.import_fields import zone
from server.core.model import Meeting, MeetingStatus, Participant, Round, Table
from server.core.state import EventState

WHATS: Final = ("agenda", "tables", "badges", "rounds")
PAPERS: Final = ("a4", "letter")
FONT: Final = "DejaVu"
FONTS_DIR: Final = Path(__file__).resolve().parent / "fonts"
MARGIN_MM: Final = 12.0
GREY: Final = (110, 110, 110)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
STATUS_WORDS: Final = {
    MeetingStatus.REQUESTED: "not yet placed",
    MeetingStatus.SCHEDULED: "scheduled",
    MeetingStatus.HELD: "held",
    MeetingStatus.NO_SHOW: "no-show",
    MeetingStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class PrintOptions:
    paper: str = "a4"  # a4 or letter
    # Whom agendas and badges are for, by the organiser's external id or ours, in this
    # order; empty: everyone, by name.
    participants: tuple[str, ...] = ()
    round: int | None = None  # round sheets: only this round (default: every round)
    base_url: str = ""  # MATCHBOARD_PUBLIC_URL: phone links are <base_url>/p/<token>
    changed_at_ms: int | None = None  # when the event last changed: the version stamp


def check_choice(what: str, paper: str) -> None:
    """BadRequest naming the valid values for an unknown document or paper size."""
    if what not in WHATS:
        raise BadRequest(f"cannot print {what!r}: use {', '.join(WHATS)}", what=what)
    if paper not in PAPERS:
        raise BadRequest(f"unknown paper {paper!r}: use {' or '.join(PAPERS)}", paper=paper)


def render(state: EventState, what: str, options: PrintOptions) -> bytes:
    """One PDF of `what` (agenda, tables, badges, rounds)."""
    from server.core import printed_people, printed_tables  # they import this module

    check_choice(what, options.paper)
    people = chosen(state, options.participants) if what in ("agenda", "badges") else []
    doc = Document(state, options)
    try:
        if what == "agenda":
            printed_people.agendas(doc, people)
        elif what == "badges":
            printed_people.badges(doc, people)
        elif what == "tables":
            printed_tables.table_signs(doc)
        else:
            printed_tables.round_sheets(doc, options.round)
        if doc.pdf.page == 0:
            doc.new_page()
            doc.line("Nothing to print for this event yet.", 14)
        return bytes(doc.pdf.output())
    finally:
        doc.close()


def chosen(state: EventState, ids: Sequence[str]) -> list[Participant]:
    """The participants named (external id or ours), in that order, each once; everyone
    by name when none is named. BadRequest names every id that is nobody's."""
    if not ids:
        return sorted(state.participants.values(), key=lambda p: (p.name.casefold(), p.id))
    unknown = [i for i in ids if resolve(state, i) is None]
    if unknown:
        listed = ", ".join(repr(i) for i in unknown)
        raise BadRequest(
            f"no participant has the id {listed} (neither the organiser's id nor ours)",
            participants=unknown,
        )
    found = [state.participants[pid] for i in ids if (pid := resolve(state, i))]
    return list({p.id: p for p in found}.values())


def resolve(state: EventState, ref: str) -> str | None:
    ref = ref.strip()
    if ref in state.participants:
        return ref
    return state.by_external_id.get(ref)


class Document:
    """An FPDF with the bundled font, the paper size and the event's clock maths."""

    def __init__(self, state: EventState, options: PrintOptions) -> None:
        self.state = state
        self.options = options
        self.tz: tzinfo = (zone(state.event.timezone) if state.event else None) or UTC
        pdf = FPDF(orientation="portrait", unit="mm", format=options.paper.upper())
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, MARGIN_MM + 6)
        pdf.add_font(FONT, "", FONTS_DIR / "DejaVuSans.ttf")
        pdf.add_font(FONT, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
        pdf.set_font(FONT, "", 11)
        # Fixed, so that the same state prints the same bytes (fpdf2 would read the clock).
        pdf.set_creation_date(self.moment(options.changed_at_ms or 0))
        pdf.set_title(self.event_name)
        pdf.set_creator("Matchboard")
        self.pdf = pdf

    def close(self) -> None:
        """Close the font files fontTools keeps open (it reads them lazily)."""
        for font in self.pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    @property
    def event_name(self) -> str:
        return self.state.event.name if self.state.event else "Matchboard"

    @property
    def width(self) -> float:
        """The printable width between the margins, in mm."""
        return float(self.pdf.epw)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_text_color(0, 0, 0)

    def line(self, text: str, size: float, *, bold: bool = False, grey: bool = False,
             align: str = "L", height: float | None = None) -> None:  # fmt: skip
        """One line of text across the page (shrunk to fit), then the next line."""
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", self.fit(text, size, self.width, bold=bold))
        pdf.set_text_color(*(GREY if grey else (0, 0, 0)))
        pdf.cell(self.width, height or size * 0.5, text, align=align,
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_text_color(0, 0, 0)

    def fit(self, text: str, size: float, width: float, *, bold: bool = False) -> float:
        """The largest font size up to `size` at which `text` fits in `width` mm."""
        self.pdf.set_font(FONT, "B" if bold else "", size)
        needed = self.pdf.get_string_width(text)
        return size if needed <= width else max(4.0, size * width / needed * 0.98)

    def moment(self, ms: int) -> datetime:
        return (_EPOCH + timedelta(milliseconds=ms)).astimezone(self.tz)

    def clock(self, ms: int) -> str:
        return self.moment(ms).strftime("%H:%M")

    def date(self, ms: int, *, year: bool = True) -> str:
        m = self.moment(ms)
        return f"{m.strftime('%a')} {m.day} {m.strftime('%b')}" + (f" {m.year}" if year else "")

    def when(self, rnd: Round) -> str:
        """A round's time, "09:00–09:20", with its date when the event has several days."""
        span = f"{self.clock(rnd.starts_at_ms)}–{self.clock(rnd.ends_at_ms)}"
        days = {r.day for r in self.state.rounds.values()}
        return f"{self.date(rnd.starts_at_ms, year=False)}, {span}" if len(days) > 1 else span

    def stamp(self) -> str:
        """The state printed: "Latest version: v12, Sun 31 May 2026 09:14 (Europe/Berlin)"."""
        text = f"Latest version: v{self.state.version}"
        at = self.options.changed_at_ms
        if at is not None:
            tz = self.state.event.timezone if self.state.event else "UTC"
            text += f", {self.date(at)} {self.clock(at)} ({tz})"
        return text

    def qr(self, text: str, x: float, y: float, size: float) -> None:
        """A QR code (error correction M) as filled rectangles, `size` mm square with its
        quiet zone (2 modules) inside: vector, sharp on any printer."""
        code = segno.make(text, error="m", micro=False)
        matrix = code.matrix
        module = size / (len(matrix) + 4)
        pdf = self.pdf
        pdf.set_fill_color(0, 0, 0)
        for row, cells in enumerate(matrix):
            col = 0
            while col < len(cells):
                if not cells[col]:
                    col += 1
                    continue
                run = col
                while run < len(cells) and cells[run]:
                    run += 1
                pdf.rect(x + (col + 2) * module, y + (row + 2) * module,
                         (run - col) * module, module, style="F")  # fmt: skip
                col = run


def table_text(state: EventState, number: int | None) -> str:
    """The number, its label (unless it only says the number) and its zone: "Table 3 ·
    Window · Hall A"."""
    if number is None:
        return "–"
    table = state.tables.get(number)
    parts = [f"Table {number}"]
    if table is not None:
        parts += [t for t in (label_of(table), table.zone) if t]
    return " · ".join(parts)


def label_of(table: Table) -> str:
    """The table's label, unless it is just "Table <number>" again."""
    plain = {f"table {table.number}", str(table.number)}
    return "" if table.label.strip().casefold() in plain else table.label.strip()


def person_lines(state: EventState, pids: Sequence[str]) -> str:
    """One line per person: "Name — Organisation"."""
    lines = []
    for pid in pids:
        p = state.participants.get(pid)
        if p is None:
            lines.append(pid)
        else:
            lines.append(f"{p.name} — {p.organisation}" if p.organisation else p.name)
    return "\n".join(lines)


def meeting_order(m: Meeting) -> tuple[bool, int, int, str]:
    return (m.round is None, m.round or 0, m.table or 0, m.id)
