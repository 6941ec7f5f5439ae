"""Printing an event's PDFs for the CLI (`matchboard print`) and the HTTP API
(`GET /api/events/{id}/print/{what}.pdf`): the event's state and the time of its last
change (the version stamp) from Redis, the rendering from server/core/printed.py."""

from __future__ import annotations

import asyncio
import dataclasses

from server.core import printed
from server.core.errors import BadRequest
from server.core.printed import PrintOptions
from server.core.state import state_from_records
from server.edge.service import Service


async def render_pdf(service: Service, event_id: str, what: str, options: PrintOptions) -> bytes:
    """The PDF, rendered in a thread (everyone's agendas of a 250-person event take
    seconds: the event loop keeps serving meanwhile) from a copy of the replica, which
    changes under it as commits arrive."""
    printed.check_choice(what, options.paper)
    state = await service.state(event_id)
    copy = state_from_records(state.records(), state.epoch, state.version)
    # The time of the change that made this version (a few back: more may have come since).
    recent = await service.recent_changes(event_id, limit=4)
    at = next((r.at_ms for r in recent if r.version == copy.version), None)
    dated = dataclasses.replace(options, changed_at_ms=at)
    return await asyncio.to_thread(printed.render, copy, what, dated)


def pdf_filename(event_id: str, what: str, options: PrintOptions) -> str:
    """The file's name, "icmc-2026-agenda.pdf"; one person's is named after their id."""
    who = f"-{options.participants[0]}" if len(options.participants) == 1 else ""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in who)
    return f"{event_id}-{what}{safe}.pdf"


def round_number(text: str | None) -> int | None:
    """The --round / ?round= value: a round number, or None when not given."""
    if text is None or not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"round must be a round number, not {text!r}", round=text) from None


def participant_ids(values: list[str]) -> tuple[str, ...]:
    """Ids given as repeated values and/or separated by commas, each once, in order."""
    ids = [part.strip() for value in values for part in value.split(",")]
    return tuple(dict.fromkeys(i for i in ids if i))
