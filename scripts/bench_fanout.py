"""Fan-out benchmark: how fast does one committed change reach every connected screen?

    .venv/bin/python scripts/bench_fanout.py [--clients 2000] [--instances 1] [--updates 30]
                                             [--encoding-mix msgpack=70,json=30] [--limit-only]

What it does, all on 127.0.0.1 and cleaned up at the end (also on Ctrl-C or an error):
1. starts a private Redis and creates the sample conference (participants: the number of
   clients, between 250 and 5,000), then `--instances` `matchboard serve` processes on it;
2. opens `--clients` WebSocket feeds from ceil(clients / 2,500) client processes: about 2%
   hall screens, 1% moderators, the rest participant phones; msgpack or JSON per the mix;
3. reads each server's RSS before and after the clients connected (`rss_per_client_kb`);
4. commits `--updates` changes, one every 200 ms, through `Service.execute` in this process
   (table moves, a clock shift of every round, announcements), noting the time each commit
   returned; every client notes when the `update` with that version arrived;
5. latency = receive time - commit time, for every (client, update): p50, p99 and max;
6. the practical limit of this machine: a bare asyncio server (no framework, handshake
   with websockets' sans-I/O protocol) writes the same number of pre-encoded frames to the
   same number of clients; latency = receive time - just before its write loop.

How to read the output: `delivered` should equal `expected` (clients x updates); a gap
means lost or late updates. Compare `p99_ms` with `limit_p99_ms`: the difference is what
the server adds (Redis round trip, views per role, encoding, the framework). The clients
share the machine's cores with the server, so both numbers include client-side work.
The last line is JSON, for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from bench_common import (
    Target,
    client_worker,
    limit_server,
    now_us,
    raise_file_limit,
    receive,
    rss_kb,
    run_bench,
    stop_processes,
)

from server.core import views
from server.core.model import Announcement, MeetingStatus
from server.core.state import Change, EventState
from server.edge import planning
from server.edge.embedded import EmbeddedRedis
from server.edge.redis_client import redis_client
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from server.wire import protocol
from server.wire.protocol import Encoding

ROOT = Path(__file__).resolve().parent.parent
EVENT_ID = "icmc-2026"
PER_PROCESS = 2_500  # connections per client process: well under its 20,000 open files
INTERVAL_S = 0.2  # between two updates, so that they do not pile up
COLLECT_S = 30.0  # the longest wait for the last update to reach every client
READY_S = 30.0
PATTERN = ("move", "move", "announcement", "move", "clock")
SAMPLE_CHANGES = {  # what the limit server sends with --limit-only: a table move
    "upserts": [["meeting", {"id": "m00421", "side_a": ["p0017"], "side_b": ["p0102"],
                             "round": 4, "table": 14, "status": "scheduled",
                             "origin": "planned", "external_id": ""}]],
    "deletes": [],
}  # fmt: skip


@dataclasses.dataclass
class Resources:
    """Everything started, so that `cleanup` can stop it whatever happened."""

    tmp: Path
    redis: EmbeddedRedis | None = None
    servers: list[subprocess.Popen[bytes]] = dataclasses.field(default_factory=list)
    children: list[tuple[BaseProcess, Connection]] = dataclasses.field(default_factory=list)

    def cleanup(self) -> None:
        stop_processes(self.servers, self.children)
        if self.redis is not None:
            self.redis.stop()


def parse_mix(text: str) -> float:
    """'msgpack=70,json=30' -> the share of msgpack clients (0.7)."""
    weights = {"msgpack": 0.0, "json": 0.0}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in weights:
            raise SystemExit(f"--encoding-mix: unknown encoding {name!r}")
        weights[name.strip()] = float(value)
    total = weights["msgpack"] + weights["json"]
    if total <= 0:
        raise SystemExit("--encoding-mix needs a positive weight")
    return weights["msgpack"] / total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_child(
    children: list[tuple[BaseProcess, Connection]], target: Callable[..., None], *args: Any
) -> Connection:
    """A spawned child process running `target(*args, pipe)`, added to `children`; our
    end of its pipe."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=target, args=(*args, theirs), daemon=True)
    proc.start()
    theirs.close()
    children.append((proc, ours))
    return ours


async def ask(pipes: list[Connection], messages: list[Any] | None, timeout_s: float) -> list[Any]:
    """Send one message to each child (unless None), then read one answer from each."""
    for pipe, message in zip(pipes, messages or [], strict=False):
        pipe.send(message)
    async with asyncio.timeout(timeout_s):
        return [await receive(pipe) for pipe in pipes]


def start_servers(res: Resources, count: int, redis_url: str) -> list[int]:
    env = {**os.environ, "MATCHBOARD_REDIS_URL": redis_url, "MATCHBOARD_HOST": "127.0.0.1",
           "MATCHBOARD_LOG_LEVEL": "warning", "MATCHBOARD_DATA_DIR": str(res.tmp)}  # fmt: skip
    ports = [free_port() for _ in range(count)]
    for i, port in enumerate(ports):
        with open(res.tmp / f"server-{i}.log", "wb") as log:
            res.servers.append(subprocess.Popen(
                [sys.executable, "-m", "server.edge.cli", "serve", "--port", str(port)],
                env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            ))  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    deadline = time.monotonic() + READY_S
    for i, (proc, port) in enumerate(zip(res.servers, ports, strict=True)):
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (res.tmp / f"server-{i}.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"server {i} did not become ready:\n{tail}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
    return ports


def client_specs(state: EventState | None, clients: int, msgpack_share: float) -> list[Any]:
    """(token, encoding) per client: ~2% hall screens, ~1% moderators, the rest phones."""
    rng = random.Random(2026)
    halls, mods = round(clients * 0.02), max(1, round(clients * 0.01))
    if state is None or state.event is None:  # the limit server checks no token
        tokens = ["-"] * clients
    else:
        people = sorted(state.participants.values(), key=lambda p: p.id)
        phones = [people[i % len(people)].token for i in range(max(0, clients - halls - mods))]
        tokens = [state.event.moderator_token] * mods + [state.event.screen_key] * halls + phones
    n_msgpack = round(clients * msgpack_share)
    encodings = [Encoding.MSGPACK.value] * n_msgpack + [Encoding.JSON.value] * (clients - n_msgpack)
    rng.shuffle(tokens)
    rng.shuffle(encodings)
    return list(zip(tokens[:clients], encodings, strict=True))


async def connect(workers: list[Connection], specs: list[Any], ports: list[int]) -> float:
    targets: list[Target] = [
        (f"ws://127.0.0.1:{ports[i % len(ports)]}/ws", EVENT_ID, token, enc, i % len(ports))
        for i, (token, enc) in enumerate(specs)
    ]
    started = time.monotonic()
    answers = await ask(
        workers,
        [("connect", targets[w :: len(workers)]) for w in range(len(workers))],
        timeout_s=120 + len(specs) / 20,
    )
    connected = sum(n for n, _errors in answers)
    for _n, errors in answers:
        for error in errors:
            print(f"  connect failed: {error}", file=sys.stderr)
    print(f"  {connected}/{len(specs)} clients connected in {time.monotonic() - started:.1f} s")
    return time.monotonic() - started


def decider(kind: str, k: int, rng: random.Random) -> Callable[[EventState], Change]:
    def move(state: EventState) -> Change:
        placed = sorted(
            (m for m in state.meetings.values()
             if m.status is MeetingStatus.SCHEDULED and m.round is not None),
            key=lambda m: m.id,
        )  # fmt: skip
        for _ in range(50):
            meeting = rng.choice(placed)
            free = sorted(
                t.number for t in state.tables.values()
                if (t.number, meeting.round) not in state.table_use
                and t.capacity >= len(meeting.people)
            )  # fmt: skip
            if free:
                return Change(upserts=(dataclasses.replace(meeting, table=rng.choice(free)),))
        raise RuntimeError("no free table found for a move")

    def clock(state: EventState) -> Change:
        now = wall_clock_ms()
        rounds = sorted(state.rounds.values(), key=lambda r: r.index)
        return Change(upserts=tuple(
            dataclasses.replace(r, starts_at_ms=r.starts_at_ms + 60_000)
            for r in rounds if r.starts_at_ms > now
        ))  # fmt: skip

    def announce(_state: EventState) -> Change:
        text = f"Benchmark announcement {k}: coffee is served in hall B."
        return Change(
            upserts=(Announcement(id=f"bench-{k}", text=text, created_at_ms=wall_clock_ms()),)
        )

    return {"move": move, "clock": clock, "announcement": announce}[kind]


async def drive_updates(
    service: Service, count: int
) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Commit `count` changes; the time each commit returned (µs), by version, and each
    change as most phones receive it (to replay the same bytes in the limit run)."""
    rng = random.Random(7)
    commits: dict[int, int] = {}
    seen_by_phones: list[dict[str, Any]] = []
    for k in range(count):
        started = time.monotonic()
        kind = PATTERN[k % len(PATTERN)]
        decide = decider(kind, k, rng)
        record = await service.execute(EVENT_ID, f"bench_{kind}", decide, actor="bench")
        at = now_us()
        if record is None:
            raise RuntimeError(f"update {k} ({kind}) changed nothing")
        commits[record.version] = at
        projection = views.project(record, service.replica(EVENT_ID))
        seen_by_phones.append(projection.participants.to_plain())
        await asyncio.sleep(max(0.0, INTERVAL_S - (time.monotonic() - started)))
    return commits, seen_by_phones


async def collect(workers: list[Connection], last: int) -> list[Any]:
    answers = await ask(workers, [("collect", (last, COLLECT_S))] * len(workers), COLLECT_S + 30)
    await ask(workers, [("close", None)] * len(workers), 60)
    return [feed for answer in answers for feed in answer]


def stats(feeds: list[Any], reference: Callable[[int, int], int | None]) -> dict[str, Any]:
    """Latency of every (client, update) that arrived, against its reference time."""
    latencies: list[int] = []
    for instance, receipts in feeds:
        seen: set[int] = set()
        for i in range(0, len(receipts), 2):
            version, at = receipts[i], receipts[i + 1]
            ref = reference(instance, version)
            if ref is not None and version not in seen:
                seen.add(version)
                latencies.append(at - ref)
    latencies.sort()
    n = len(latencies)

    def pick(q: float) -> float | None:
        return round(latencies[min(n - 1, int(q * n))] / 1000, 2) if n else None

    return {"delivered": n, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": pick(1.0)}


Changes = dict[str, Any]


async def bench_server(
    args: argparse.Namespace, res: Resources, workers: list[Connection], msgpack_share: float
) -> tuple[dict[str, Any], list[Changes]]:
    res.redis = EmbeddedRedis(res.tmp / "redis")
    url = res.redis.start()
    client = redis_client(url)
    try:
        service = Service(Store(client))
        people = min(5000, max(250, args.clients))
        started = time.monotonic()
        first_round_at_ms = wall_clock_ms() + 60_000
        await planning.create_sample_event(service, first_round_at_ms=first_round_at_ms,
                                           event_id=EVENT_ID, participants=people,
                                           options=planning.ScheduleOptions(fast=True))  # fmt: skip
        state = await service.state(EVENT_ID)
        print(f"  sample event: {people} participants, {len(state.meetings)} meetings "
              f"({time.monotonic() - started:.1f} s)")  # fmt: skip
        ports = start_servers(res, args.instances, url)
        before = [rss_kb(p.pid) for p in res.servers]
        connect_s = await connect(workers, client_specs(state, args.clients, msgpack_share), ports)
        await asyncio.sleep(1.0)  # let the servers settle before reading their memory
        after = [rss_kb(p.pid) for p in res.servers]
        commits, sent = await drive_updates(service, args.updates)
        feeds = await collect(workers, max(commits))
    finally:
        await client.aclose()
    for proc in res.servers:  # free the cores for the limit run
        proc.terminate()
    return {
        **stats(feeds, lambda _instance, version: commits.get(version)),
        "server_rss_mb": round(sum(after) / 1024, 1),
        "server_rss_before_mb": round(sum(before) / 1024, 1),
        "rss_per_client_kb": round((sum(after) - sum(before)) / args.clients, 1),
        "connect_s": round(connect_s, 2),
    }, sent


async def bench_limit(
    args: argparse.Namespace,
    res: Resources,
    workers: list[Connection],
    msgpack_share: float,
    sent: list[Changes],
) -> dict[str, Any]:
    frames = [
        {e: protocol.frame(protocol.encode(protocol.update(
            epoch="bench", version=k + 1, at_ms=wall_clock_ms(), changes=sent[k],
            meta=None), e), e) for e in Encoding}
        for k in range(args.updates)
    ]  # fmt: skip
    ports = [free_port() for _ in range(args.instances)]
    servers = [start_child(res.children, limit_server, port, frames) for port in ports]
    await ask(servers, None, READY_S)
    connect_s = await connect(workers, client_specs(None, args.clients, msgpack_share), ports)
    stamps: dict[tuple[int, int], int] = {}
    for k in range(args.updates):
        started = time.monotonic()
        for instance, stamp in enumerate(await ask(servers, [("send", k)] * len(servers), 10)):
            stamps[(instance, k + 1)] = stamp
        await asyncio.sleep(max(0.0, INTERVAL_S - (time.monotonic() - started)))
    feeds = await collect(workers, args.updates)
    result = stats(feeds, lambda instance, version: stamps.get((instance, version)))
    return {f"limit_{key}": value for key, value in result.items()} | {
        "limit_connect_s": round(connect_s, 2)
    }


async def bench(args: argparse.Namespace, res: Resources) -> dict[str, Any]:
    msgpack_share = parse_mix(args.encoding_mix)
    processes = math.ceil(args.clients / PER_PROCESS)
    workers = [start_child(res.children, client_worker) for _ in range(processes)]
    out: dict[str, Any] = {"clients": args.clients, "instances": args.instances,
                           "updates": args.updates}  # fmt: skip
    out["expected"] = args.clients * args.updates
    sent = [SAMPLE_CHANGES] * args.updates
    if args.limit_only:
        out |= dict.fromkeys(("delivered", "p50_ms", "p99_ms", "max_ms", "server_rss_mb",
                              "rss_per_client_kb", "connect_s"))  # fmt: skip
    else:
        print("Matchboard server:")
        result, sent = await bench_server(args, res, workers, msgpack_share)
        out |= result
    print("Bare asyncio limit:")
    out |= await bench_limit(args, res, workers, msgpack_share, sent)
    return out | {"cores": os.cpu_count(), "python": platform.python_version()}


def report(out: dict[str, Any], msgpack_share: float) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    print(f"\n{out['clients']} clients ({round(msgpack_share * 100)}% msgpack), "
          f"{out['instances']} server process(es), {out['updates']} updates, "
          f"{out['cores']} cores, Python {out['python']}\n")  # fmt: skip
    head = (
        ("delivered/expected", 20),
        ("p50 ms", 9),
        ("p99 ms", 9),
        ("max ms", 9),
        ("connect s", 11),
    )
    print(" " * 22 + "".join(f"{title:>{width}}" for title, width in head))
    for label, prefix in (("Matchboard server", ""), ("bare asyncio (limit)", "limit_")):
        if out[f"{prefix}delivered"] is not None:
            counts = f"{out[f'{prefix}delivered']}/{out['expected']}"
            print(f"{label:<22}{counts:>20}{ms(out[f'{prefix}p50_ms']):>9}"
                  f"{ms(out[f'{prefix}p99_ms']):>9}{ms(out[f'{prefix}max_ms']):>9}"
                  f"{out[f'{prefix}connect_s']:>11.1f}")  # fmt: skip
    if out["server_rss_mb"] is not None:
        print(f"\nserver RSS: {out['server_rss_before_mb']} MB before clients, "
              f"{out['server_rss_mb']} MB with them: "
              f"{out['rss_per_client_kb']} KB per client")  # fmt: skip
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--instances", type=int, default=1, help="server processes")
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--encoding-mix", default="msgpack=70,json=30")
    parser.add_argument("--limit-only", action="store_true", help="only the bare asyncio run")
    args = parser.parse_args()
    if args.clients < 1 or args.instances < 1 or args.updates < 1:
        raise SystemExit("--clients, --instances and --updates must be at least 1")
    raise_file_limit()
    out = run_bench("mb-bench-", Resources, lambda res: bench(args, res))
    report(out, parse_mix(args.encoding_mix))


if __name__ == "__main__":
    main()
