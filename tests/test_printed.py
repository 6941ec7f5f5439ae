"""Printed material as PDF (server/core/printed.py): read back with pypdf, as text."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
import segno
from pypdf import PdfReader

from server.core import printed
from server.core.errors import BadRequest
from server.core.model import (
    Meeting,
    MeetingOrigin,
    MeetingStatus,
    Participant,
    Record,
    Round,
    Table,
)
from server.core.printed import PrintOptions
from server.core.state import Change, EventState, state_from_records
from tests.factory import NAMES, T0_MS, meeting, small_event_records

BASE = "https://match.example.org"
CHANGED_MS = T0_MS - 3_600_000  # an hour before round 1: 21:26 in Berlin
HARD_NAME = "Łukasz Øster-İnce Ő"
# A4 and Letter in PDF points.
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


def event() -> EventState:
    """The factory's eight people (every European name of NAMES) and a ninth with the
    hardest name, each with a phone token and a badge code; three tables (one with a label
    and a zone), four rounds and a few meetings."""
    records: list[Record] = []
    for r in small_event_records(people=9):
        if isinstance(r, Participant):
            name = HARD_NAME if r.id == "p8" else r.name
            r = dataclasses.replace(r, name=name, token=f"test-event.tok-{r.id}",
                                    check_in_code=f"CODE{r.id.upper()}00")  # fmt: skip
        elif isinstance(r, Table) and r.number == 2:
            r = dataclasses.replace(r, label="Window", zone="Hall B")
        records.append(r)
    meetings = [
        meeting("m1", "p0", "p8", 1, 1),
        meeting("m2", "p2", "p8", 2, 2),
        meeting("m3", "p3", "p5", 1, 2),
        dataclasses.replace(meeting("m4", "p8", "p6", 4, 3), status=MeetingStatus.CANCELLED),
        dataclasses.replace(meeting("m5", "p1", "p8", 3, 1), origin=MeetingOrigin.SUBSTITUTE),
        meeting("m6", "p4", "p7"),  # a request, not placed
    ]
    return state_from_records([*records, *meetings], epoch="e", version=17)


def pdf(state: EventState, what: str, **options: object) -> PdfReader:
    opts = PrintOptions(base_url=BASE, changed_at_ms=CHANGED_MS, **options)  # type: ignore[arg-type]
    data = printed.render(state, what, opts)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def pages(reader: PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_every_european_name_comes_back_from_every_document() -> None:
    state = event()
    names = [name for name, _ in NAMES] + [HARD_NAME]
    organisations = [org for _, org in NAMES]
    for what in printed.WHATS:
        text = " ".join(pages(pdf(state, what)))
        expected = names if what in ("agenda", "badges") else [HARD_NAME, "Ayşe Yılmaz"]
        missing = [n for n in expected if n not in text]
        assert not missing, (what, missing)
    badges = " ".join(pages(pdf(state, "badges")))
    assert all(org in badges for org in organisations)


def test_an_agenda_lists_its_rounds_tables_partners_and_the_version() -> None:
    state = event()
    (page,) = pages(pdf(state, "agenda", participants=("EXT-8",)))
    assert page.startswith(f"Test Matchmaking {HARD_NAME} Cluster Nord 8 Latest version: v17, ")
    assert HARD_NAME in page and "Cluster Nord" in page
    assert "Latest version: v17, " in page and "21:26 (Europe/Berlin)" in page
    rows = {
        "1 22:26–22:46 Table 1 Anna Berg — Cluster Nord scheduled",
        "2 22:51–23:11 Table 2 Window Hall B Ayşe Yılmaz — Istanbul Tech Cluster scheduled",
        "3 23:16–23:36 Table 1 Jonas Weber — Automotive BW scheduled (substitute)",
        "4 23:41–00:01 Table 3 Liam Borg — Malta Digital Hub cancelled",
    }
    assert all(row in page for row in rows), page
    # Rounds in order, and nobody else's meetings.
    assert page.index("22:26") < page.index("22:51") < page.index("23:16") < page.index("23:41")
    assert "Dvořáková" not in page and "Marco Rossi" not in page


def test_a_selection_prints_exactly_those_people_in_that_order() -> None:
    state = event()
    got = pages(pdf(state, "agenda", participants=("p3", "EXT-0", "p3")))
    assert len(got) == 2
    assert "Jānis Bērziņš" in got[0].split("Latest version")[0]
    assert "Anna Berg" in got[1].split("Latest version")[0]
    everyone = pages(pdf(state, "agenda"))
    assert len(everyone) == 9  # one agenda per page, by name
    firsts = [p.split("Test Matchmaking ", 1)[1] for p in everyone]
    assert firsts[0].startswith("Anna Berg") and firsts[-1].startswith(HARD_NAME)


def test_unknown_ids_are_named_and_choices_list_the_valid_values() -> None:
    state = event()
    with pytest.raises(BadRequest, match="'nobody', 'EXT-99'"):
        printed.render(state, "agenda", PrintOptions(participants=("p1", "nobody", "EXT-99")))
    with pytest.raises(BadRequest, match="agenda, tables, badges, rounds"):
        printed.render(state, "posters", PrintOptions())
    with pytest.raises(BadRequest, match="a4 or letter"):
        printed.render(state, "agenda", PrintOptions(paper="a3"))
    with pytest.raises(BadRequest, match="no round 9: the rounds are 1, 2, 3, 4"):
        printed.render(state, "rounds", PrintOptions(round=9))


@pytest.mark.parametrize(("paper", "size"), [("a4", A4), ("letter", LETTER)])
def test_paper_sizes(paper: str, size: tuple[float, float]) -> None:
    state = event()
    for what in printed.WHATS:
        box = pdf(state, what, paper=paper).pages[0].mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.01)


def test_table_signs_one_page_per_table_with_who_sits_there() -> None:
    got = pages(pdf(event(), "tables"))
    assert len(got) == 3
    for number, page in enumerate(got, start=1):
        assert re.search(rf"Test Matchmaking {number} ", page), page
    assert "Window · Hall B" in got[1]
    assert "1 22:26–22:46 Anna Berg — Cluster Nord Łukasz Øster-İnce Ő — Cluster Nord" in got[0]
    assert "2 22:51–23:11 free" in got[0]
    assert "3 23:16–23:36 Jonas Weber — Automotive BW Łukasz" in got[0]
    assert "Liam Borg" not in got[2]  # the cancelled meeting leaves its table free


def test_badges_eight_to_a_page_with_their_check_in_codes() -> None:
    state = event()
    got = pages(pdf(state, "badges"))
    assert len(got) == 2  # nine people, eight to a page
    assert got[0].count("Check-in CODE") == 8 and got[1].count("Check-in CODE") == 1
    assert "Check-in CODEP800" in got[1] and HARD_NAME in got[1]
    assert "Your agenda" in got[1]


def test_the_qr_codes_are_drawn_for_the_phone_link_and_the_check_in_code() -> None:
    """segno's matrix for the phone link, as printed: the same runs of dark modules appear
    as rectangles on the page (a different link would not match)."""
    state = event()
    person = state.participants["p8"]
    doc = printed.Document(state, PrintOptions(base_url=BASE))
    doc.new_page()
    doc.qr(printed.phone_link(BASE, person), 10, 10, 40)
    contents = doc.pdf.pages[1].contents
    assert isinstance(contents, bytearray)
    drawn = contents.decode()
    doc.close()
    rects = drawn.count(" re f")
    matrix = segno.make(f"{BASE}/p/{person.token}", error="m", micro=False).matrix
    runs = sum(len(re.findall(rb"\x01+", bytes(row))) for row in matrix)
    assert rects == runs


def test_round_sheets_every_table_with_both_sides_and_tick_boxes() -> None:
    got = pages(pdf(event(), "rounds"))
    assert len(got) == 4
    assert got[0].startswith("Test Matchmaking Round 1 · 22:26–22:46")
    assert "Latest version: v17" in got[0]
    sides = "Anna Berg — Cluster Nord Łukasz Øster-İnce Ő — Cluster Nord 8"
    assert f"Table 1 {sides} ☐ held ☐ no-show" in got[0]
    assert "Table 2 Window Hall B Jānis Bērziņš — Latvian IT Cluster Kateřina Dvořáková" in got[0]
    assert "Table 3 free" in got[0]
    (only,) = pages(pdf(event(), "rounds", round=2))
    assert "Round 2 · 22:51–23:11" in only and "Ayşe Yılmaz" in only


def test_the_same_state_prints_the_same_bytes() -> None:
    """No clock: the creation date is the last change's time, so a reprint is identical."""
    state = event()
    opts = PrintOptions(base_url=BASE, changed_at_ms=CHANGED_MS)
    assert printed.render(state, "agenda", opts) == printed.render(state, "agenda", opts)
    later = dataclasses.replace(opts, changed_at_ms=CHANGED_MS + 60_000)
    assert printed.render(state, "agenda", opts) != printed.render(state, "agenda", later)


def test_an_event_without_tables_or_meetings_still_prints_a_page() -> None:
    state = state_from_records(small_event_records(tables=0, rounds=0, people=1), version=1)
    assert pages(pdf(state, "tables")) == ["Nothing to print for this event yet."]
    (agenda,) = pages(pdf(state, "agenda"))
    assert "No meetings yet." in agenda


def test_a_group_side_lists_each_of_its_people() -> None:
    state = event()
    group = Meeting(id="g1", side_a=("p0", "p1"), side_b=("p2",), round=4, table=1,
                    status=MeetingStatus.SCHEDULED)  # fmt: skip
    state.apply(Change(upserts=(group,)))
    (page,) = pages(pdf(state, "agenda", participants=("p2",)))
    assert "Anna Berg — Cluster Nord Jonas Weber — Automotive BW" in page


def test_a_two_day_event_gets_a_sign_per_table_and_day() -> None:
    state = event()
    day2 = [
        Round(index=5, day=2, starts_at_ms=T0_MS + 86_400_000, label="Round 5"),
        Round(index=6, day=2, starts_at_ms=T0_MS + 86_400_000 + 25 * 60_000),
    ]
    state.apply(Change(upserts=(*day2, meeting("m7", "p3", "p4", 6, 3))))
    got = pages(pdf(state, "tables"))
    assert len(got) == 6  # three tables, two days
    assert "Day 1 · Thu 28 May 2026" in got[4] and "Day 2 · Fri 29 May 2026" in got[5]
    assert "6 22:51–23:11 Jānis Bērziņš — Latvian IT Cluster Marco Rossi" in got[5]
    assert "Jānis" not in got[4]
    (sheet,) = pages(pdf(state, "rounds", round=5))
    assert "Round 5 · Fri 29 May, 22:26–22:46" in sheet  # its label only says "Round 5"
