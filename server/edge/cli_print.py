"""`matchboard print EVENT --what agenda|tables|badges|rounds`: one PDF file of the
event's printed material (server/core/printed.py), as the HTTP API serves it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.core.printed import PrintOptions
from server.edge import printing
from server.edge.cli_events import settings_from, with_service
from server.edge.cli_links import warn_if_loopback
from server.edge.service import Service


def cmd_print(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    options = PrintOptions(
        paper=args.paper,
        participants=printing.participant_ids(args.participant or []),
        round=args.round,
        base_url=settings.base_url,
    )
    target = Path(args.output or printing.pdf_filename(args.event, args.what, options))
    pdfs: list[bytes] = []

    async def work(service: Service) -> None:
        pdfs.append(await printing.render_pdf(service, args.event, args.what, options))

    if args.what in ("agenda", "badges"):  # their QR codes open the phone links
        warn_if_loopback(settings)
    with_service(settings, work)
    target.write_bytes(pdfs[0])
    print(f"wrote {target} ({len(pdfs[0]) // 1024 + 1} KiB)", file=sys.stderr)
