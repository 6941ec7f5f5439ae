"""Printed material for the room (server/core/printed.py): a sign per table, its number
readable from ten metres, with who sits there round by round; and the moderator's round
sheet, every table of a round with both sides and a box to tick "held" or "no-show"."""

from __future__ import annotations

from typing import Final

from fpdf.fonts import FontFace

from server.core.errors import BadRequest
from server.core.model import MeetingStatus, Round, Table
from server.core.printed import (
    FONT,
    Document,
    label_of,
    person_lines,
    table_text,
)

# A number 300 pt high has digits about 75 mm tall: read from 10 m and more.
SIGN_NUMBER_PT: Final = 300.0
SIGN_NUMBER_MM: Final = 100.0
HEADINGS: Final = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))
TICK: Final = "☐ held\n☐ no-show"


def table_signs(doc: Document) -> None:
    """A page per table (per table and day when the event has several days)."""
    state = doc.state
    days: dict[int, list[Round]] = {}
    for rnd in sorted(state.rounds.values(), key=lambda r: r.index):
        days.setdefault(rnd.day, []).append(rnd)
    for number in sorted(state.tables):
        for day, rounds in sorted(days.items()) or [(0, [])]:
            _sign(doc, state.tables[number], rounds, day if len(days) > 1 else None)


def _sign(doc: Document, table: Table, rounds: list[Round], day: int | None) -> None:
    state, pdf = doc.state, doc.pdf
    doc.new_page()
    doc.line(doc.event_name, 12, grey=True, align="C")
    text = str(table.number)
    pdf.set_font(FONT, "B", doc.fit(text, SIGN_NUMBER_PT, doc.width, bold=True))
    pdf.cell(doc.width, SIGN_NUMBER_MM, text, align="C", new_x="LMARGIN", new_y="NEXT")
    place = " · ".join(t for t in (label_of(table), table.zone) if t)
    doc.line(place or f"Table {table.number}", 28, bold=True, align="C", height=14)
    if day is not None and rounds:
        doc.line(f"Day {day} · {doc.date(rounds[0].starts_at_ms)}", 14, align="C", height=8)
    pdf.ln(4)
    if not rounds:
        doc.line("No rounds yet.", 14)
        return
    seated = {
        m.round: m
        for mid in state.meetings_at_table.get(table.number, ())
        if (m := state.meetings[mid]).occupies or m.status is MeetingStatus.NO_SHOW
    }
    pdf.set_font(FONT, "", 10 if len(rounds) > 8 else 12)
    with pdf.table(
        col_widths=(16, 30, 70, 70),
        headings_style=HEADINGS,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        v_align="TOP",
        line_height=4.6 if len(rounds) > 8 else 5.5,
        padding=1.2,
    ) as grid:
        heading = grid.row()
        heading.cell("Round")
        heading.cell("Time")
        heading.cell("Who meets here", colspan=2)
        for rnd in rounds:
            here = seated.get(rnd.index)
            row = grid.row()
            row.cell(str(rnd.index))
            row.cell(f"{doc.clock(rnd.starts_at_ms)}–{doc.clock(rnd.ends_at_ms)}")
            if here is None:
                row.cell("free" if not rnd.skipped else "round skipped", colspan=2)
            else:
                row.cell(person_lines(state, here.side_a))
                row.cell(person_lines(state, here.side_b))


def round_sheets(doc: Document, only: int | None) -> None:
    """Per round, every table: who meets there (both sides, with organisations) and the
    boxes to tick; a free table says so, for walk-ins."""
    state, pdf = doc.state, doc.pdf
    if only is not None and only not in state.rounds:
        known = ", ".join(str(n) for n in sorted(state.rounds)) or "none yet"
        raise BadRequest(f"there is no round {only}: the rounds are {known}", round=only)
    indexes = [only] if only is not None else sorted(state.rounds)
    for index in indexes:
        rnd = state.rounds[index]
        doc.new_page()
        doc.line(doc.event_name, 11, grey=True)
        title = f"Round {index}"
        if rnd.label and rnd.label.strip().casefold() != title.casefold():
            title += f" · {rnd.label}"
        doc.line(f"{title} · {doc.when(rnd)}", 20, bold=True, height=11)
        doc.line(f"Moderator's sheet · {doc.stamp()}", 9, grey=True)
        pdf.ln(3)
        by_table = {
            state.meetings[mid].table: state.meetings[mid]
            for mid in state.meetings_in_round.get(index, ())
            if state.meetings[mid].status is not MeetingStatus.CANCELLED
        }
        numbers = sorted(set(state.tables) | {n for n in by_table if n is not None})
        pdf.set_font(FONT, "", 10)
        with pdf.table(
            col_widths=(28, 62, 62, 24),
            headings_style=HEADINGS,
            borders_layout="ALL",
            text_align="LEFT",
            v_align="TOP",
            line_height=5,
            padding=1.5,
        ) as grid:
            heading = grid.row()
            for title in ("Table", "Side A", "Side B", "Held / no-show"):
                heading.cell(title)
            for number in numbers:
                m = by_table.get(number)
                row = grid.row()
                row.cell(table_text(state, number).replace(" · ", "\n"))
                if m is None:
                    row.cell("free", colspan=2)
                    row.cell("")
                else:
                    row.cell(person_lines(state, m.side_a))
                    row.cell(person_lines(state, m.side_b))
                    row.cell(TICK)
