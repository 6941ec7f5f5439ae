"""XLSX in and out with openpyxl: a workbook's bytes → `Sheet`s of cell values for the
importer (server/core/import_sheets.py), and `SheetTable`s (server/core/export_sheets.py)
→ a workbook's bytes.

Written workbooks have a bold, frozen header row with a filter, columns as wide as their
contents (within bounds), date-times as real Excel date-times in the event's local time
(Excel has no timezones), and the header repeated on every printed page.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from server.core.errors import BadRequest
from server.core.export_sheets import SheetTable
from server.core.import_sheets import Sheet

XLSX_MEDIA: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC: Final = b"PK\x03\x04"  # an .xlsx is a zip file
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
MIN_WIDTH: Final = 8
MAX_WIDTH: Final = 50


def is_xlsx(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def read_workbook(data: bytes, filename: str) -> list[Sheet]:
    """Every sheet's rows as cell values (the computed value of a formula)."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadRequest(f"{filename} is not a readable .xlsx workbook ({exc})") from exc
    try:
        return [
            Sheet(
                ws.title,
                [(n, tuple(row)) for n, row in enumerate(ws.iter_rows(values_only=True), 1)],
            )
            for ws in book.worksheets
        ]
    finally:
        book.close()


def write_workbook(tables: Sequence[SheetTable]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        ws = book.create_sheet(table.title)
        ws.append(list(table.columns))
        for cell in ws[1]:
            cell.font = bold
        widths = [len(c) for c in table.columns]
        for row in table.rows:
            values = [_excel(v) for v in row]
            ws.append(values)
            for i, value in enumerate(values):
                shown = 16 if isinstance(value, datetime) else len(str(value or ""))
                widths[i] = max(widths[i], shown)
        for i, width in enumerate(widths, 1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, datetime):
                    cell.number_format = DATETIME_FORMAT
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        ws.print_title_rows = "1:1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # the event's local time, as people read it
    return value
