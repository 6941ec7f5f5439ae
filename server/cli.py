"""`matchboard serve | demo | rehearse | create | import | export | schedule | tokens`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import errno
import resource
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import redis.asyncio as aioredis
import uvicorn
from tqdm import tqdm

from server import exporter, planning, rehearsal
from server.app import LISTEN_BACKLOG, create_app, uvicorn_options
from server.embedded import redis_url_for
from server.errors import BadRequest, ImportFailed, MatchboardError
from server.model import Event
from server.rehearsal_plan import Plan, RehearsalOptions, make_plan
from server.service import Service, wall_clock_ms
from server.settings import Settings
from server.state import EventState
from server.store import Store, check_event_id

MEETING_COLUMNS = ("participant_a", "requester", "participant_b", "partner", "receiver")
# The sandbox's per-process cap; 10,000 WebSockets plus Redis and logs fit well below.
MAX_OPEN_FILES = 20_000


def _settings(args: argparse.Namespace) -> Settings:
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
async def _service(url: str) -> AsyncIterator[Service]:
    client = aioredis.from_url(url)
    try:
        yield Service(Store(client))
    finally:
        await client.aclose()


def _with_service(settings: Settings, work: Callable[[Service], Coroutine[Any, Any, None]]) -> None:
    async def run(url: str) -> None:
        async with _service(url) as service:
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
    print()


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings(args)
    with (
        _listening(settings) as sock,
        redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url,
    ):
        _run_server(dataclasses.replace(settings, redis_url=url), sock)


@contextlib.contextmanager
def _listening(settings: Settings) -> Iterator[socket.socket]:
    """The server's socket, bound before Redis starts and before any link is printed: a
    port in use is a clear error, not links that another process answers."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    where = f"port {settings.port} on {settings.host}"
    try:
        sock = socket.create_server(
            (settings.host, settings.port), family=family, backlog=LISTEN_BACKLOG
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BadRequest(
                f"{where} is already in use; pass --port with a free port "
                "(or set MATCHBOARD_PORT), or stop the program that uses it"
            ) from None
        raise BadRequest(f"cannot listen on {where}: {exc.strerror or exc}") from None
    with sock:
        yield sock


def raise_open_file_limit(wanted: int = MAX_OPEN_FILES) -> int:
    """Each WebSocket is a file: lift the soft limit (often 1024) towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _announce(settings: Settings) -> None:
    raise_open_file_limit()
    print(f"Matchboard on {settings.base_url}  (Redis: {settings.redis_url})", flush=True)


def _run_server(settings: Settings, sock: socket.socket) -> None:
    _announce(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **uvicorn_options(settings)))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops serving
        server.run(sockets=[sock])
    if not server.started:
        raise SystemExit(3)  # as uvicorn.run: it could not start (the log says why)


def _local_base(settings: Settings, server: uvicorn.Server) -> str:
    """http://host:port where this process reaches its own server (the bound port)."""
    port = server.servers[0].sockets[0].getsockname()[1]
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    return f"http://{host}:{port}"


async def _serve_while(
    settings: Settings,
    sock: socket.socket,
    work: Callable[[str], Coroutine[Any, Any, None]],
    *,
    keep_serving: bool,
) -> None:
    """Serve, run `work(base URL)` against the server once it listens, then stop serving
    (or, with `keep_serving`, go on until Ctrl-C). Ctrl-C during the work stops both."""
    _announce(settings)
    # A line per request of the work would bury its progress and output.
    options = uvicorn_options(settings) | {"access_log": False}
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # uvicorn offers no event to await
        if serving.done():
            return await serving  # it could not start (the log says why)
        await asyncio.sleep(0.05)
    job = asyncio.create_task(work(_local_base(settings, server)))
    await asyncio.wait({serving, job}, return_when=asyncio.FIRST_COMPLETED)
    if not job.done():  # the server stopped (Ctrl-C): nothing left to work against
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
    elif job.exception() is None and keep_serving:
        print(f"\nStill serving on {settings.base_url}: press Ctrl-C to stop.", flush=True)
    else:
        server.should_exit = True
    await serving
    if job.done() and not job.cancelled():
        job.result()  # raises what went wrong in the work


def _launch(
    args: argparse.Namespace,
    create: Callable[[Service], Coroutine[Any, Any, EventState]],
    play: Callable[[str, EventState], Coroutine[Any, Any, None]] | None = None,
    *,
    keep_serving: bool = True,
) -> None:
    """What `demo` and `rehearse` share: Redis (embedded unless MATCHBOARD_REDIS_URL
    names one), an event made by `create`, its links printed, and the server. `play`
    runs against the server once it listens; after it the server stops unless
    `keep_serving`. Without `play`, it serves until Ctrl-C."""
    settings = _settings(args)
    with (
        _listening(settings) as sock,
        redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url,
    ):
        settings = dataclasses.replace(settings, redis_url=url)

        async def make() -> EventState:
            async with _service(url) as service:
                return await create(service)

        state = asyncio.run(make())
        print_access(state, settings)
        if play is None:
            _run_server(settings, sock)
            return

        played: list[bool] = []

        async def work(base: str) -> None:
            await play(base, state)
            played.append(True)

        try:
            asyncio.run(_serve_while(settings, sock, work, keep_serving=keep_serving))
        except KeyboardInterrupt:
            if not played:
                raise  # it interrupted the work: main() says so (exit code 130)
            # Ctrl-C after the work is how one stops serving, as with `demo`.


def cmd_demo(args: argparse.Namespace) -> None:
    async def create(service: Service) -> EventState:
        if args.keep:
            try:
                return await service.state(args.event)
            except MatchboardError:
                pass  # no event yet: create it
        first_round_at_ms = wall_clock_ms() + int(args.start_in_minutes * 60_000)
        outcome = await planning.create_sample_event(
            service,
            first_round_at_ms=first_round_at_ms,
            event_id=args.event,
            round_minutes=args.round_minutes,
            participants=args.participants,
        )
        unplaced = len(outcome.result.unplaced)
        print(f"Sample conference scheduled: {len(outcome.result.placed)} meetings "
              f"placed, {unplaced} not placed.")  # fmt: skip
        return await service.state(args.event)

    _launch(args, create)


def cmd_rehearse(args: argparse.Namespace) -> None:
    options = RehearsalOptions(**{name: getattr(args, name) for _, name, *_ in REHEARSE_OPTIONS})
    check_event_id(options.event_id)
    try:
        options.check()
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    plans: list[Plan] = []

    async def create(service: Service) -> EventState:
        state = await rehearsal.create_event(service, options)
        plans.append(make_plan(state, options))
        print(plans[0].summary())
        return state

    async def play(base: str, state: EventState) -> None:
        assert state.event is not None
        if args.moderator == "manual":
            print("Manual moderation: handle the alerts in the moderator console (link above);"
                  " walk-in requests are printed here.")  # fmt: skip
        report = await rehearsal.run_rehearsal(
            base, state.event.id, state.event.moderator_token, plans[0],
            mode=args.moderator, reaction_s=options.reaction_s, say=tqdm.write,
        )  # fmt: skip
        rehearsal.present_report(report, print, Path(args.report) if args.report else None)

    _launch(args, create, play, keep_serving=args.keep_serving)


def cmd_create(args: argparse.Namespace) -> None:
    settings = _settings(args)
    event = Event(id=check_event_id(args.event), name=args.name, timezone=args.timezone,
                  venue=args.venue)  # fmt: skip

    async def work(service: Service) -> None:
        state = await service.create_event(event, actor="cli")
        print_access(state, settings, participants=0)

    _with_service(settings, work)


def _guess_kind(path: Path, text: str) -> planning.ImportKind:
    if path.suffix.lower() == ".json":
        return "json"
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return "meetings" if any(c in header for c in MEETING_COLUMNS) else "participants"


def cmd_import(args: argparse.Namespace) -> None:
    settings = _settings(args)
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

    _with_service(settings, work)


def cmd_export(args: argparse.Namespace) -> None:
    settings = _settings(args)

    def badges(state: EventState) -> str:
        return exporter.export_badges_csv(state, settings.base_url)

    writers: dict[str, Callable[[EventState], str]] = {
        "schedule": exporter.export_schedule_csv,
        "participants": exporter.export_participants_csv,
        "event": exporter.export_json,
        "badges": badges,
    }
    texts: list[str] = []

    async def work(service: Service) -> None:
        texts.append(writers[args.what](await service.state(args.event)))

    _with_service(settings, work)
    if args.output:
        # With a BOM spreadsheet programs read UTF-8 names right; the importer accepts it.
        encoding = "utf-8-sig" if args.what != "event" else "utf-8"
        Path(args.output).write_text(texts[0], encoding=encoding)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(texts[0])


def cmd_schedule(args: argparse.Namespace) -> None:
    settings = _settings(args)

    async def work(service: Service) -> None:
        outcome = await planning.run_scheduler(service, args.event, actor="cli")
        result = outcome.result
        print(f"placed {len(result.placed)} meetings; {len(result.unplaced)} could not be placed")
        for item in result.unplaced:
            print(f"  {item.meeting_id}: {item.reason}")

    _with_service(settings, work)


def cmd_tokens(args: argparse.Namespace) -> None:
    settings = _settings(args)

    async def work(service: Service) -> None:
        state = await service.state(args.event)
        print_access(state, settings, participants=len(state.participants))

    _with_service(settings, work)


# `matchboard rehearse` options: (flag, RehearsalOptions field, type, help); each default
# is the field's default, so it is written in one place.
REHEARSE_OPTIONS: Final = (
    ("--event", "event_id", str, "event id"),
    ("--participants", "participants", int, "size of the sample conference"),
    ("--rounds", "rounds", int, "rounds to play, back to back"),
    ("--round-minutes", "round_minutes", float, "meeting length, may be fractional"),
    ("--seating-seconds", "seating_s", int, "seating time before each round"),
    ("--start-in-seconds", "start_in_s", float, "round 1's seating begins this long after launch"),
    ("--seed", "seed", int, "the same seed plays the same plan"),
    ("--no-show-share", "no_show_share", float, "share of people who never come"),
    ("--late-share", "late_share", float, "of those who come: after their first round started"),
    ("--report-share", "report_share", float,
     "of those who come: press 'my partner is not here' when left alone"),
    ("--depart-share", "depart_share", float, "of those who come: leave between two rounds"),
    ("--walk-ins", "walk_ins", int, "walk-in requests per round"),
    ("--reaction-seconds", "reaction_s", float,
     "the automatic moderator acts this long after an alert calls for it"),
)  # fmt: skip


def _rehearse_arguments(p: argparse.ArgumentParser) -> None:
    defaults = RehearsalOptions()
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    for flag, name, kind, help_ in REHEARSE_OPTIONS:
        default = getattr(defaults, name)
        shown = f"{default:g}" if kind is float else default
        metavar = {int: "N", str: "ID"}.get(kind) or flag.rsplit("-", 1)[-1].upper()
        p.add_argument(flag, dest=name, type=kind, default=default, metavar=metavar,
                       help=f"{help_} (default {shown})")  # fmt: skip
    p.add_argument("--moderator", choices=["auto", "manual"], default="auto",
                   help="auto: a built-in moderator handles the alerts; manual: you do, in "
                        "the console (default auto)")  # fmt: skip
    p.add_argument("--keep-serving", action=argparse.BooleanOptionalAction, default=False,
                   help="after the report, keep serving to look at the screens")  # fmt: skip
    p.add_argument("--report", metavar="FILE", help="also write the report (JSON) to FILE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matchboard", description="Run the live side of a B2B matchmaking event."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace], None], help_: str,
                *, event: bool = True) -> argparse.ArgumentParser:  # fmt: skip
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        p.add_argument("--data-dir", help="folder for the embedded Redis (default: ./data)")
        if event:
            p.add_argument("event", help="event id, e.g. icmc-2026")
        return p

    serve = command("serve", cmd_serve, "Serve the API and live updates.", event=False)
    demo = command("demo", cmd_demo, "Serve the sample conference, starting soon.", event=False)
    for p in (serve, demo):
        p.add_argument("--host")
        p.add_argument("--port", type=int)
    demo.add_argument("--event", default="icmc-2026")
    demo.add_argument("--round-minutes", type=int, default=20, help="meeting length (default 20)")
    demo.add_argument("--start-in-minutes", type=float, default=1.0,
                      help="round 1 starts this long after launch (default 1)")  # fmt: skip
    demo.add_argument("--participants", type=int, default=250)
    demo.add_argument("--keep", action="store_true",
                      help="keep the existing demo event instead of re-creating it")  # fmt: skip
    rehearse_help = "Play an event day against the server with simulated people, then report."
    _rehearse_arguments(command("rehearse", cmd_rehearse, rehearse_help, event=False))

    create = command("create", cmd_create, "Create an empty event and print its tokens.")
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", default="UTC")
    create.add_argument("--venue", default="")

    imp = command("import", cmd_import, "Import participants or meetings (CSV) or JSON.")
    imp.add_argument("file")
    imp.add_argument("--kind", choices=["participants", "meetings", "json"],
                     help="default: from the file name and header")  # fmt: skip

    exp = command("export", cmd_export, "Export the schedule and outcomes.")
    exp.add_argument("--what", choices=["schedule", "participants", "event", "badges"],
                     default="schedule",
                     help="schedule, participants or badges (CSV), or event (JSON)")  # fmt: skip
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")

    command("schedule", cmd_schedule, "Place unscheduled meeting requests in rounds and tables.")
    command("tokens", cmd_tokens, "Print the event's tokens and participant links.")
    return parser


def _exit_on_signal(signum: int, _frame: Any) -> None:
    # SIGTERM and SIGHUP unwind like Ctrl-C, so that the embedded redis-server started by
    # `demo`, `serve` or `rehearse` is stopped by its context manager instead of being
    # left behind (their default action ends the process on the spot). uvicorn handles
    # SIGTERM itself while serving, then re-raises it here once it has shut down.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        args.handler(args)
    except ImportFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for err in exc.details.get("errors", []):
            column = f", column {err['column']}" if err.get("column") else ""
            print(f"  {err['file']} line {err['line']}{column}: {err['reason']}", file=sys.stderr)
        return 2
    except MatchboardError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
