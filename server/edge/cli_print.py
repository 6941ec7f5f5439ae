"""`matchboard print EVENT --what agenda|tables|badges|rounds`: one PDF file of the
event's printed material (server/core/printed.py), as the HTTP API serves it."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from urllib.parse import urlsplit

from server.core.printed import PrintOptions
from server.edge import printing
from server.edge.cli_events import settings_from, with_service
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

    if args.what in ("agenda", "badges") and is_loopback(options.base_url):
        where = f"{options.base_url}/p/…"
        print(f"warning: the QR codes open {where}, which phones cannot reach: set "
              "MATCHBOARD_PUBLIC_URL to the address they will use", file=sys.stderr)  # fmt: skip
    with_service(settings, work)
    target.write_bytes(pdfs[0])
    print(f"wrote {target} ({len(pdfs[0]) // 1024 + 1} KiB)", file=sys.stderr)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
