"""Serving from the command line: `matchboard serve | demo | rehearse`.

The socket is bound before Redis starts and before any link is printed; `demo` and
`rehearse` create their event first, then serve (`_launch`), and `rehearse` plays its
plan against the server once it listens (`_serve_while`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import errno
import resource
import socket
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, Final

import uvicorn
from tqdm import tqdm

from server.core.errors import BadRequest, MatchboardError
from server.core.state import EventState
from server.demo import rehearsal
from server.demo.rehearsal_plan import Plan, RehearsalOptions, make_plan
from server.edge import planning
from server.edge.app import LISTEN_BACKLOG, create_app, uvicorn_options
from server.edge.cli_events import open_service, print_access, print_qr_codes, settings_from
from server.edge.cli_links import warn_if_loopback
from server.edge.embedded import redis_url_for
from server.edge.service import Service, wall_clock_ms
from server.edge.settings import Settings
from server.edge.store import check_event_id

# The sandbox's per-process cap; 10,000 WebSockets plus Redis and logs fit well below.
MAX_OPEN_FILES = 20_000


def cmd_serve(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    with (
        _listening(settings) as sock,
        redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url,
    ):
        warn_if_loopback(settings)  # once it listens: no link before a port is ours
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
    qr_codes: bool = False,
) -> None:
    """What `demo` and `rehearse` share: Redis (embedded unless MATCHBOARD_REDIS_URL
    names one), an event made by `create`, its links printed, and the server. `play`
    runs against the server once it listens; after it the server stops unless
    `keep_serving`. Without `play`, it serves until Ctrl-C."""
    settings = settings_from(args)
    with (
        _listening(settings) as sock,
        redis_url_for(settings.redis_url, settings.data_dir, settings.appendfsync) as url,
    ):
        settings = dataclasses.replace(settings, redis_url=url)

        async def make() -> EventState:
            async with open_service(url, settings) as service:
                return await create(service)

        state = asyncio.run(make())
        print_access(state, settings)
        if qr_codes:
            print_qr_codes(state, settings)
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
        unplaced, breaks = len(outcome.unplaced), outcome.breaks_after
        print(f"Sample conference scheduled: {len(outcome.placed)} meetings placed, "
              f"{unplaced} not placed, {breaks} idle breaks.")  # fmt: skip
        return await service.state(args.event)

    _launch(args, create, qr_codes=True)


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
