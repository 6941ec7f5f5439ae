"""Printed material for people (server/core/printed.py): one agenda per page, to hand out
at reception, and badges, eight to an A4 or Letter page, with two QR codes each: the
check-in code the staff scanner reads and the personal phone link."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fpdf.fonts import FontFace

from server.core.model import Meeting, MeetingOrigin, Participant
from server.core.printed import (
    FONT,
    GREY,
    STATUS_WORDS,
    Document,
    meeting_order,
    person_lines,
    phone_link,
    table_text,
)

AGENDA_QR_MM: Final = 34.0
BADGE_COLUMNS: Final = 2
BADGE_ROWS: Final = 4
BADGE_QR_MM: Final = 25.0
HEADINGS: Final = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))


def agendas(doc: Document, people: Sequence[Participant]) -> None:
    for person in people:
        agenda(doc, person)


def agenda(doc: Document, person: Participant) -> None:
    """Event, name and organisation, the phone link's QR code, then one row per meeting:
    round, time, table, partners with their organisations, status; the version stamp."""
    state, pdf = doc.state, doc.pdf
    doc.new_page()
    top = pdf.get_y()
    text_width = doc.width - (AGENDA_QR_MM + 4 if person.token else 0)
    _left(doc, doc.event_name, 12, text_width, grey=True)
    _left(doc, person.name, 24, text_width, bold=True)
    if person.organisation:
        _left(doc, person.organisation, 14, text_width)
    pdf.ln(2)
    _left(doc, doc.stamp(), 9, text_width, grey=True)
    below = pdf.get_y()
    if person.token:
        x = pdf.l_margin + doc.width - AGENDA_QR_MM
        doc.qr(phone_link(doc.options.base_url, person), x, top, AGENDA_QR_MM)
        pdf.set_xy(x, top + AGENDA_QR_MM)
        pdf.set_font(FONT, "", 7)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(AGENDA_QR_MM, 3, "Live, with every change:\nscan for your phone",
                       align="C")  # fmt: skip
        pdf.set_text_color(0, 0, 0)
        below = max(below, top + AGENDA_QR_MM + 8)
    pdf.set_xy(pdf.l_margin, below + 4)

    meetings = sorted((state.meetings[mid] for mid in state.meetings_of.get(person.id, ())),
                      key=meeting_order)  # fmt: skip
    if not meetings:
        doc.line("No meetings yet.", 12)
        return
    pdf.set_font(FONT, "", 10)
    with pdf.table(
        col_widths=(14, 26, 28, 54, 26),
        first_row_as_headings=True,
        headings_style=HEADINGS,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        v_align="TOP",
        line_height=5,
        padding=1.5,
    ) as table:
        heading = table.row()
        for title in ("Round", "Time", "Table", "Meeting with", "Status"):
            heading.cell(title)
        for m in meetings:
            rnd = state.rounds.get(m.round) if m.round is not None else None
            row = table.row()
            row.cell(str(m.round) if m.round is not None else "–")
            row.cell(doc.when(rnd) if rnd else "–")
            row.cell(table_text(state, m.table).replace(" · ", "\n"))
            row.cell(person_lines(state, m.partners_of(person.id)))
            row.cell(_status(m, skipped=bool(rnd and rnd.skipped)))


def _status(m: Meeting, *, skipped: bool) -> str:
    word = "round skipped" if skipped else STATUS_WORDS[m.status]
    if m.origin is MeetingOrigin.SUBSTITUTE:
        word += "\n(substitute)"
    elif m.origin is MeetingOrigin.WALK_IN:
        word += "\n(walk-in)"
    return word


def _left(doc: Document, text: str, size: float, width: float, *, bold: bool = False,
          grey: bool = False) -> None:  # fmt: skip
    pdf = doc.pdf
    pdf.set_font(FONT, "B" if bold else "", doc.fit(text, size, width, bold=bold))
    pdf.set_text_color(*(GREY if grey else (0, 0, 0)))
    pdf.cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def badges(doc: Document, people: Sequence[Participant]) -> None:
    """A grid of badges (2 × 4), each with light cut lines: name large, organisation,
    country; the check-in QR code (with its code written under it) and the phone link's."""
    pdf = doc.pdf
    pdf.set_auto_page_break(False)
    per_page = BADGE_COLUMNS * BADGE_ROWS
    width = doc.width / BADGE_COLUMNS
    height = (pdf.h - 2 * pdf.t_margin) / BADGE_ROWS
    for n, person in enumerate(people):
        if n % per_page == 0:
            doc.new_page()
        slot = n % per_page
        x = pdf.l_margin + (slot % BADGE_COLUMNS) * width
        y = pdf.t_margin + (slot // BADGE_COLUMNS) * height
        _badge(doc, person, x, y, width, height)


def _badge(doc: Document, person: Participant, x: float, y: float, w: float, h: float) -> None:
    pdf = doc.pdf
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.rect(x, y, w, h)
    pdf.set_dash_pattern()
    pad = 5.0
    inner = w - 2 * pad
    pdf.set_xy(x + pad, y + pad)
    pdf.set_text_color(*GREY)
    pdf.set_font(FONT, "", doc.fit(doc.event_name, 8, inner))
    pdf.cell(inner, 4, doc.event_name)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x + pad, y + pad + 6)
    pdf.set_font(FONT, "B", doc.fit(person.name, 22, inner, bold=True))
    pdf.cell(inner, 10, person.name)
    for offset, text, points in ((17, person.organisation, 12), (23, person.country, 10)):
        if text:
            pdf.set_xy(x + pad, y + pad + offset)
            pdf.set_font(FONT, "", doc.fit(text, points, inner))
            pdf.cell(inner, 5, text)
    size = min(BADGE_QR_MM, h - 2 * pad - 32)  # below the country, above the cut line
    qr_y = y + h - pad - size - 4
    codes = [
        (person.check_in_code, "Check-in", person.check_in_code),
        (person.token and phone_link(doc.options.base_url, person), "Your agenda", ""),
    ]
    for i, (content, caption, written) in enumerate(codes):
        if not content:
            continue
        qx = x + pad + i * (inner - size)
        doc.qr(content, qx, qr_y, size)
        pdf.set_xy(qx, qr_y + size)
        pdf.set_font(FONT, "", 7)
        pdf.set_text_color(*GREY)
        pdf.cell(size, 3.5, f"{caption} {written}".strip(), align="C")
        pdf.set_text_color(0, 0, 0)
