"""Links that work on phones: the warning when they point at this machine's loopback
address, and links as QR codes in the terminal (`matchboard demo`).

Every printed or exported link (badges, tokens, the demo's printout, the hall screen's
QR code) starts with `Settings.base_url`: MATCHBOARD_PUBLIC_URL, else http://host:port.
The default host is 127.0.0.1, which a phone resolves to itself: such links open on the
server's own machine and nowhere else.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Final, TextIO
from urllib.parse import urlsplit

import segno

from server.edge.settings import Settings

LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine only (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_loopback(settings: Settings, out: TextIO | None = None) -> bool:
    """On stderr: the links use a loopback address, which phones cannot reach, and what
    to set instead. True when it warned."""
    base = settings.base_url
    if not is_loopback(base):
        return False
    print(
        f"warning: the links use {base}, which only this computer can open: phones and "
        "other devices cannot reach it.\n"
        "  Set MATCHBOARD_PUBLIC_URL to the address phones use to reach this server, e.g.\n"
        f"  MATCHBOARD_PUBLIC_URL=http://192.168.1.20:{settings.port} (this computer's "
        "address on the event's Wi-Fi; serve with MATCHBOARD_HOST=0.0.0.0)\n"
        "  or https://matchboard.example.org behind a reverse proxy.",
        file=out or sys.stderr,
        flush=True,
    )
    return True


def print_qr(label: str, url: str, out: TextIO | None = None) -> None:
    """The link under its label, then as a QR code drawn with block characters (two
    modules per character row), for a phone's camera to read off the screen."""
    stream = out or sys.stdout
    print(f"\n  {label}: {url}", file=stream)
    segno.make(url, error="m").terminal(out=stream, compact=True, border=2)
    stream.flush()
