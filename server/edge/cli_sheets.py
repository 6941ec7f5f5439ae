"""Spreadsheets on the command line: `matchboard import EVENT file.xlsx` and
`matchboard export EVENT --what schedule|outcomes|agendas --format xlsx -o file.xlsx`.

Other files go on to `cmd_import` and `cmd_export` (server/edge/cli_events.py) unchanged.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from server.core import export_sheets
from server.core.errors import BadRequest
from server.edge import planning, xlsx
from server.edge.cli_events import cmd_export, cmd_import, settings_from, with_service
from server.edge.service import Service

SHEETS: Final = ("schedule", "outcomes", "agendas")


def _is_xlsx(path: Path) -> bool:
    if path.suffix.lower() == ".xlsx":
        return True
    try:
        with path.open("rb") as f:
            return xlsx.is_xlsx(f.read(4))
    except OSError:
        return False  # cmd_import says what is wrong with the file


def cmd_import_file(args: argparse.Namespace) -> None:
    path = Path(args.file)
    if not _is_xlsx(path):
        cmd_import(args)
        return
    settings = settings_from(args)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc}") from exc

    async def work(service: Service) -> None:
        outcome = await planning.import_xlsx(service, args.event, data, filename=path.name,
                                             kind=args.kind, actor="cli")  # fmt: skip
        plan = outcome.plan
        version = outcome.record.version if outcome.record else "unchanged"
        print(f"{path.name}: {plan.created} created, {plan.updated} updated, "
              f"{plan.unchanged} unchanged (version {version})")  # fmt: skip
        if plan.ignored_columns:
            print(f"  columns not used: {', '.join(plan.ignored_columns)}")
        if plan.ignored_sheets:
            print(f"  sheets not imported: {', '.join(plan.ignored_sheets)}")

    with_service(settings, work)


def cmd_export_file(args: argparse.Namespace) -> None:
    if args.format != "xlsx":
        if args.what in ("outcomes", "agendas"):
            raise BadRequest(f"--what {args.what} is a spreadsheet: add --format xlsx -o FILE.xlsx")
        cmd_export(args)
        return
    if args.what not in SHEETS:
        raise BadRequest(f"cannot export {args.what} as xlsx: use --what {', '.join(SHEETS)}")
    if not args.output and sys.stdout.isatty():
        raise BadRequest("an .xlsx is not for the terminal: add -o FILE.xlsx")
    settings = settings_from(args)
    books: list[bytes] = []

    async def work(service: Service) -> None:
        state = await service.state(args.event)
        books.append(xlsx.write_workbook(export_sheets.workbook(state, args.what)))

    with_service(settings, work)
    if args.output:
        Path(args.output).write_bytes(books[0])
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(books[0])
