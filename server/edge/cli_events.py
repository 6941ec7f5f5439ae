"""The event commands of `matchboard`: create, import, export, schedule, tokens.

Each runs one piece of work against the event's Redis (embedded unless
MATCHBOARD_REDIS_URL names one) through a `Service`, as the server would, and prints
what came of it; `print_access` prints an event's links (also for `demo` and `rehearse`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from server.core import exporter, import_sheets
from server.core.errors import BadRequest
from server.core.model import Event
from server.core.state import EventState
from server.edge import planning, schedule_plan
from server.edge.cli_links import print_qr, warn_if_loopback
from server.edge.embedded import redis_url_for
from server.edge.service import Service
from server.edge.settings import Settings
from server.edge.store import check_event_id, store_for
from server.solve.result import Progress as SolveProgress


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return dataclasses.replace(settings, **overrides)


@asynccontextmanager
async def open_service(url: str, settings: Settings) -> AsyncIterator[Service]:
    store = store_for(settings, url)
    try:
        yield Service(store)
    finally:
        await store.redis.aclose()


def with_service(settings: Settings, work: Callable[[Service], Coroutine[Any, Any, None]]) -> None:
    async def run(url: str) -> None:
        async with open_service(url, settings) as service:
            await work(service)

    with redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url:
        asyncio.run(run(url))


def print_access(state: EventState, settings: Settings, *, participants: int = 3) -> None:
    event = state.event
    assert event is not None
    base = settings.base_url
    print(f"\n  {event.name}  ({len(state.participants)} participants, "
          f"{len(state.meetings)} meetings, {len(state.rounds)} rounds, "
          f"{len(state.tables)} tables)")  # fmt: skip
    print(f"\n  Hall screen:      {base}/hall/{event.id}?key={event.screen_key}")
    print(f"  Moderator:        {base}/moderate/{event.id}?token={event.moderator_token}")
    people = sorted(state.participants.values(), key=lambda p: p.name)[:participants]
    for person in people:
        print(f"  Phone of {person.name + ':':<24}{base}/p/{person.token}")
    print(f"\n  Moderator token:  {event.moderator_token}")
    print(f"  Hall screen key:  {event.screen_key}")
    print(f"  Event state (JSON):  curl -H 'Authorization: Bearer {event.moderator_token}' "
          f"{base}/api/events/{event.id}")  # fmt: skip
    ws_base = base.replace("https://", "wss://").replace("http://", "ws://")
    print(f"  Live feed:           {ws_base}/ws  (docs/protocol.md)")
    print(f"  Ready check:         {base}/readyz")
    print(flush=True)
    warn_if_loopback(settings)  # on stderr: phones cannot open 127.0.0.1 links


def print_qr_codes(state: EventState, settings: Settings) -> None:
    """The demo's links as QR codes: the hall screen, the console, one phone."""
    event = state.event
    assert event is not None
    base = settings.base_url
    print_qr("Hall screen", f"{base}/hall/{event.id}?key={event.screen_key}")
    print_qr("Moderator console", f"{base}/moderate/{event.id}?token={event.moderator_token}")
    person = min(state.participants.values(), key=lambda p: p.name, default=None)
    if person is not None:
        print_qr(f"Phone of {person.name}", f"{base}/p/{person.token}")
    print(flush=True)


def cmd_create(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    event = Event(id=check_event_id(args.event), name=args.name, timezone=args.timezone,
                  venue=args.venue)  # fmt: skip

    async def work(service: Service) -> None:
        state = await service.create_event(event, actor="cli")
        print_access(state, settings, participants=0)

    with_service(settings, work)


def _guess_kind(path: Path, text: str) -> planning.ImportKind:
    if path.suffix.lower() == ".json":
        return "json"
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return import_sheets.guess_kind([cell.strip(' "') for cell in re.split(r"[,;\t]", header)])


def cmd_import(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read {path}: {exc}") from exc
    kind: planning.ImportKind = args.kind or _guess_kind(path, text)

    async def work(service: Service) -> None:
        with tqdm(total=0, unit=" rows", desc=f"{path.name} ({kind})", leave=False) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            outcome = await planning.import_text(
                service, args.event, kind, text, filename=path.name, actor="cli",
                progress=progress,
            )  # fmt: skip
        plan = outcome.plan
        version = outcome.record.version if outcome.record else "unchanged"
        print(f"{path.name}: {plan.created} created, {plan.updated} updated, "
              f"{plan.unchanged} unchanged (version {version})")  # fmt: skip
        if plan.ignored_columns:
            print(f"  columns not used: {', '.join(plan.ignored_columns)}")

    with_service(settings, work)


def cmd_export(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    def badges(state: EventState) -> str:
        warn_if_loopback(settings)  # the phone links printed on badges
        return exporter.export_badges_csv(state, settings.base_url)

    writers: dict[tuple[str, str], Callable[[EventState], str]] = {
        ("schedule", "csv"): exporter.export_schedule_csv,
        ("participants", "csv"): exporter.export_participants_csv,
        ("event", "json"): exporter.export_json,
        ("badges", "csv"): badges,
        ("breaks", "csv"): exporter.export_breaks_csv,
        ("breaks", "json"): exporter.export_breaks_json,
    }
    fmt = args.format or ("json" if args.what == "event" else "csv")
    writer = writers.get((args.what, fmt))
    if writer is None:
        usable = ", ".join(f"--what {w} --format {f}" for w, f in writers)
        raise BadRequest(f"cannot export {args.what} as {fmt}: use {usable}")
    texts: list[str] = []

    async def work(service: Service) -> None:
        texts.append(writer(await service.state(args.event)))

    with_service(settings, work)
    if args.output:
        # With a BOM spreadsheet programs read UTF-8 names right; the importer accepts it.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        Path(args.output).write_text(texts[0], encoding=encoding)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(texts[0])


def _fairness(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise BadRequest(f"--fairness must be a whole number of breaks ≥ 0 or none, not {text!r}")
    return value


def cmd_schedule(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    if args.time_limit <= 0:
        raise BadRequest(f"--time-limit must be more than 0 seconds, not {args.time_limit}")
    limit = args.time_limit
    bar = tqdm(total=round(limit), unit="s", desc="optimising", leave=False,
               bar_format="{desc}: {bar} {n}/{total} s{postfix}",
               disable=args.fast or not sys.stderr.isatty())  # fmt: skip

    def progress(p: SolveProgress) -> None:
        bar.set_postfix_str(f"best {round(p.objective)} idle breaks, bound {round(p.bound)}")
        bar.update(max(0, min(round(limit), round(p.elapsed_s)) - bar.n))

    options = planning.ScheduleOptions(
        fast=args.fast, time_limit_s=limit, seed=args.seed, workers=args.workers,
        fairness=_fairness(args.fairness), reschedule=args.reschedule, preview=args.preview,
        progress=progress,
    )  # fmt: skip
    if args.save_plan is not None and not args.preview:
        raise BadRequest("--save-plan needs --preview: it saves what the preview would store")
    if args.apply is not None:
        options = planning.ScheduleOptions(apply=schedule_plan.read_plan(args.apply))
    outcomes: list[planning.ScheduleOutcome] = []

    async def work(service: Service) -> None:
        outcomes.append(await planning.run_scheduler(service, args.event, actor="cli",
                                                     options=options))  # fmt: skip

    try:
        with_service(settings, work)
    finally:
        bar.close()
    outcome = outcomes[0]
    for line in planning.describe(outcome, preview=args.preview):
        print(line)
    if args.save_plan is not None and outcome.plan is not None:
        args.save_plan.write_bytes(orjson.dumps(outcome.plan, option=orjson.OPT_INDENT_2))
        print(f"plan saved to {args.save_plan}: store it as shown with --apply {args.save_plan}")
    if outcome.unplaced and not outcome.placed:
        print("error: no meeting could be placed (the reasons are above)", file=sys.stderr)
        raise SystemExit(1)


def cmd_tokens(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    async def work(service: Service) -> None:
        state = await service.state(args.event)
        print_access(state, settings, participants=len(state.participants))

    with_service(settings, work)
