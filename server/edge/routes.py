"""The HTTP API: health, readiness, and the moderator's read, import, export and schedule.

Every error leaves through `error_response` (server/edge/http_errors.py), in one shape:
    {"ok": false, "error": {"code": "...", "message": "...", "details": {...}?}}
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final, cast

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.core import audit, export_sheets, exporter
from server.core.access import authenticate
from server.core.commands import dry_run_flag
from server.core.errors import (
    BadRequest,
    InternalError,
    MatchboardError,
    MethodNotAllowed,
    NotFound,
    Unavailable,
)
from server.core.idempotency import request_id
from server.core.printed import PrintOptions
from server.core.state import EventState
from server.core.views import Audience, snapshot
from server.edge import metrics, planning, schedule_request, xlsx
from server.edge.auth import request_token, require_moderator
from server.edge.http_errors import error_response
from server.edge.printing import participant_ids, pdf_filename, render_pdf, round_number
from server.edge.runner import run_command
from server.edge.service import Service
from server.edge.xlsx import XLSX_MEDIA
from server.wire.protocol import Role

log = logging.getLogger("matchboard.http")
READY_TIMEOUT_S: Final = 2.0
# What a 503 `unavailable` (Redis down or loading) tells clients to wait before retrying.
RETRY_AFTER_S: Final = 5
# A byte-order mark makes spreadsheet programs read UTF-8 names ("Ayşe Yılmaz") right.
CSV_BOM: Final = "\ufeff"
CSV_MEDIA: Final = "text/csv; charset=utf-8"
MAX_IMPORT_BYTES: Final = 32 * 1024 * 1024
# The HTTP errors Starlette raises itself (routing, static files), as our error classes;
# any other status it might raise is, by its class, a bad request or a server error.
_HTTP_ERRORS: Final[dict[int, type[MatchboardError]]] = {
    404: NotFound,
    405: MethodNotAllowed,
}


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def on_matchboard_error(_request: Request, exc: Exception) -> Response:
    err = cast(MatchboardError, exc)
    response = error_response(err)
    if isinstance(err, Unavailable):  # Redis down or loading: an ordinary, passing state
        response.headers["retry-after"] = str(RETRY_AFTER_S)
    return response


async def on_http_error(_request: Request, exc: Exception) -> Response:
    err = cast(HTTPException, exc)
    status = err.status_code
    kind = _HTTP_ERRORS.get(status) or (BadRequest if status < 500 else InternalError)
    response = error_response(kind(str(err.detail)), status)
    response.headers.update(err.headers or {})  # e.g. Allow on a 405
    return response


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalError("something went wrong on the server"))


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _moderated_state(request: Request) -> EventState:
    state = await _service(request).state(request.path_params["event_id"])
    require_moderator(state, request_token(request))
    return state


async def healthz(_request: Request) -> Response:
    return ORJSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await _service(request).store.ping()
    except Unavailable:
        raise
    except Exception as exc:
        raise Unavailable(f"Redis is not ready: {exc or type(exc).__name__}") from exc
    return ORJSONResponse({"ok": True, "redis": "ok"})


async def event_state(request: Request) -> Response:
    state = await _moderated_state(request)
    data = snapshot(state, Audience(Role.MODERATOR))
    return ORJSONResponse({"ok": True, "epoch": state.epoch, "version": state.version, **data})


async def export(request: Request) -> Response:
    state = await _moderated_state(request)
    what, fmt = request.path_params["what"], request.path_params["fmt"]
    if (what, fmt) == ("schedule", "csv"):
        body, media = CSV_BOM + exporter.export_schedule_csv(state), CSV_MEDIA
    elif (what, fmt) == ("participants", "csv"):
        body, media = CSV_BOM + exporter.export_participants_csv(state), CSV_MEDIA
    elif (what, fmt) == ("event", "json"):
        body, media = exporter.export_json(state), "application/json"
    elif (what, fmt) == ("badges", "csv"):
        base = request.app.state.settings.base_url
        body, media = CSV_BOM + exporter.export_badges_csv(state, base), CSV_MEDIA
    elif (what, fmt) == ("breaks", "csv"):
        body, media = CSV_BOM + exporter.export_breaks_csv(state), CSV_MEDIA
    elif (what, fmt) == ("breaks", "json"):
        body, media = exporter.export_breaks_json(state), "application/json"
    elif (what, fmt) == ("audit", "csv"):
        records = await _service(request).recent_changes(state.event.id if state.event else "")
        body, media = CSV_BOM + audit.log_csv(records), CSV_MEDIA
    else:
        raise BadRequest(
            f"cannot export {what}.{fmt}: use schedule.csv, participants.csv, event.json, "
            "badges.csv, breaks.csv, breaks.json or audit.csv"
        )
    filename = f"{state.event.id if state.event else 'event'}-{what}.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media, headers=headers)


async def print_pdf(request: Request) -> Response:
    """Printed material as PDF (server/core/printed.py): agenda, tables, badges, rounds.
    Query: participant (repeated or comma-separated), paper (a4, letter), round."""
    await _moderated_state(request)
    event_id, what = request.path_params["event_id"], request.path_params["what"]
    query = request.query_params
    options = PrintOptions(
        paper=query.get("paper", "a4").lower(),
        participants=participant_ids(query.getlist("participant")),
        round=round_number(query.get("round")),
        base_url=request.app.state.settings.base_url,
    )
    body = await render_pdf(_service(request), event_id, what, options)
    name = pdf_filename(event_id, what, options)
    headers = {"content-disposition": f'inline; filename="{name}"', "cache-control": "no-store"}
    return Response(body, media_type="application/pdf", headers=headers)


async def import_file(request: Request) -> Response:
    event_id = request.path_params["event_id"]
    await _moderated_state(request)
    kind = request.path_params["kind"]
    if kind not in ("participants", "meetings", "json", "plan", "xlsx"):
        raise BadRequest(f"cannot import {kind!r}: use participants, meetings, plan, json or xlsx")
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise BadRequest(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    if kind == "xlsx" or xlsx.is_xlsx(body) or request.headers.get("content-type") == XLSX_MEDIA:
        return await _import_xlsx(request, event_id, kind, body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the file is not UTF-8 text (byte {exc.start})") from exc
    filename = (
        request.query_params.get("filename") or f"{kind}.{'json' if kind == 'json' else 'csv'}"
    )
    outcome = await planning.import_text(
        _service(request), event_id, kind, text, filename=filename, actor="moderator:http"
    )
    plan = outcome.plan
    return ORJSONResponse(
        {
            "ok": True,
            "version": outcome.record.version if outcome.record else None,
            "created": plan.created,
            "updated": plan.updated,
            "unchanged": plan.unchanged,
            "ignored_columns": list(plan.ignored_columns),
        }
    )


async def _import_xlsx(request: Request, event_id: str, kind: str, body: bytes) -> Response:
    """A workbook: every sheet by its name (kind xlsx), or the sheet of one kind."""
    filename = request.query_params.get("filename") or f"{kind}.xlsx"
    sheet_kind = None if kind == "xlsx" else cast(planning.ImportKind, kind)
    outcome = await planning.import_xlsx(_service(request), event_id, body, filename=filename,
                                         kind=sheet_kind, actor="moderator:http")  # fmt: skip
    plan = outcome.plan
    return ORJSONResponse({
        "ok": True,
        "version": outcome.record.version if outcome.record else None,
        "created": plan.created,
        "updated": plan.updated,
        "unchanged": plan.unchanged,
        "ignored_columns": list(plan.ignored_columns),
        "ignored_sheets": list(plan.ignored_sheets),
    })  # fmt: skip


async def export_xlsx(request: Request) -> Response:
    """The organiser's workbook (Schedule, Outcomes, Agendas), the sheet asked for first."""
    state = await _moderated_state(request)
    what = request.path_params["what"]
    if what not in ("schedule", "outcomes", "agendas"):
        raise BadRequest(
            f"cannot export {what}.xlsx: use schedule.xlsx, outcomes.xlsx or agendas.xlsx "
            "(one workbook with all three sheets, this one first), or schedule.csv, "
            "participants.csv, event.json, badges.csv, breaks.csv, breaks.json or audit.csv"
        )
    body = xlsx.write_workbook(export_sheets.workbook(state, what))
    filename = f"{state.event.id if state.event else 'event'}-{what}.xlsx"
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=XLSX_MEDIA, headers=headers)


async def schedule(request: Request) -> Response:
    """Schedule the requests: the optimiser by default. JSON body (all optional): fast,
    time_limit_s, seed, fairness (int or null), reschedule, preview."""
    event_id = request.path_params["event_id"]
    await _moderated_state(request)
    options = schedule_request.schedule_options(await _json_body(request))
    outcome = await planning.run_scheduler(
        _service(request), event_id, actor="moderator:http", options=options
    )
    return ORJSONResponse(
        {
            "ok": True,
            "version": outcome.record.version if outcome.record else None,
            "preview": options.preview,
            **planning.summary(outcome),
        }
    )


async def audit_log(request: Request) -> Response:
    state = await _moderated_state(request)
    records = await _service(request).recent_changes(request.path_params["event_id"])
    return ORJSONResponse({"ok": True, "version": state.version,
                           "entries": [audit.entry(r) for r in records]})  # fmt: skip


async def _json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is {}."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


async def command(request: Request) -> Response:
    """One command by name; moderators, or participants for their own actions."""
    event_id = request.path_params["event_id"]
    service = _service(request)
    state = await service.state(event_id)
    audience = authenticate(state, request_token(request))
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest('the body must be {"name": ..., "args": {...}}')
    outcome = await run_command(
        service,
        event_id,
        body.get("name"),
        body.get("args"),
        audience,
        service.clock(),
        dry_run=dry_run_flag(body.get("dry_run")),
        request_id=_request_id(request, body),
    )
    body = {"ok": True, "version": outcome.committed, "preview": outcome.preview}
    if outcome.data is not None:
        body["data"] = outcome.data
    return ORJSONResponse(body)


def _request_id(request: Request, body: dict[str, Any]) -> str | None:
    """The command's request id: the Idempotency-Key header or the body's `request_id`."""
    header = request_id(request.headers.get("idempotency-key"), "Idempotency-Key")
    field = request_id(body.get("request_id"))
    if header is not None and field is not None and header != field:
        raise BadRequest(
            f"the Idempotency-Key header ({header!r}) and the body's request_id ({field!r}) "
            "differ: send one of them, or the same id in both"
        )
    return header or field


async def metrics_page(_request: Request) -> Response:
    """This process's metrics in the Prometheus text format (server/edge/metrics.py)."""
    body, content_type = metrics.exposition()
    return Response(body, headers={"content-type": content_type, "cache-control": "no-store"})


routes = [
    Route("/healthz", healthz),
    Route("/metrics", metrics_page),
    Route("/readyz", readyz),
    Route("/api/events/{event_id}", event_state),
    Route("/api/events/{event_id}/export/{what}.xlsx", export_xlsx),
    Route("/api/events/{event_id}/export/{what}.{fmt}", export),
    Route("/api/events/{event_id}/import/{kind}", import_file, methods=["POST"]),
    Route("/api/events/{event_id}/schedule", schedule, methods=["POST"]),
    Route("/api/events/{event_id}/commands", command, methods=["POST"]),
    Route("/api/events/{event_id}/audit", audit_log),
    Route("/api/events/{event_id}/print/{what}.pdf", print_pdf),
]
