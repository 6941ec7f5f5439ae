"""Many events at once: a single Redis against a 3-master Redis Cluster, in one run.

    .venv/bin/python scripts/bench_events.py [--events 200] [--devices 50] [--moderators 2]
                                             [--instances 3] [--rounds 5] [--only single|cluster]

For each backend, all on 127.0.0.1 and cleaned up at the end (also on Ctrl-C or an error):
1. starts Redis: one embedded redis-server, or a local cluster of 3 masters with a replica
   each (server/edge/embedded_cluster.py), and creates `--events` sample events of
   `--devices` participants each;
2. starts `--instances` `matchboard serve` processes on it (on the cluster with
   MATCHBOARD_REDIS_WAIT_REPLICAS=`--cluster-wait`, 1: a commit is acknowledged once a
   replica has it);
3. opens, per event, `--devices` phone feeds and `--moderators` moderator feeds from client
   processes (2,500 feeds each), spread over the server processes;
4. commits `--rounds` rounds of one announcement per event, `--rate` commits per second
   over all events (50), noting how long each commit took and when it returned; every
   feed notes when the update with that version arrived;
5. prints commit p50/p99 (ms), fan-out p50/p99 (receive time - commit return), keys and
   commands per second per shard (DBSIZE, INFO commandstats of each master over step 4's
   commits), and server memory per event (servers' RSS growth over steps 3-4 / events).

The clients share the machine's cores with the servers and Redis; compare the two
backends of one run rather than with other machines. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import redis
from bench_common import (
    Target,
    client_worker,
    now_us,
    raise_file_limit,
    rss_kb,
    run_bench,
    stop_processes,
)
from bench_fanout import ask, start_child, start_servers, stats

from server.core.model import Announcement, Record
from server.core.state import Change
from server.demo import sample
from server.edge.embedded import EmbeddedRedis
from server.edge.embedded_cluster import LocalCluster
from server.edge.redis_client import RedisClient, redis_client
from server.edge.service import Service, wall_clock_ms
from server.edge.store import Store
from server.wire.protocol import Encoding

PER_PROCESS = 2_500  # feeds per client process: well under its 20,000 open files
COLLECT_S = 60.0


@dataclass
class Resources:
    """Everything started, so that `cleanup` can stop it whatever happened."""

    tmp: Path
    single: EmbeddedRedis | None = None
    cluster: LocalCluster | None = None
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    children: list[tuple[BaseProcess, Connection]] = field(default_factory=list)

    def stop_servers(self) -> None:
        stop_processes(self.servers, [])

    def cleanup(self) -> None:
        stop_processes(self.servers, self.children)
        if self.single is not None:
            self.single.stop()
        if self.cluster is not None:
            self.cluster.stop()


def masters(res: Resources, backend: str) -> list[redis.Redis]:
    """A plain client per master, for DBSIZE and INFO commandstats."""
    if backend == "single":
        assert res.single is not None
        return [redis.Redis(unix_socket_path=str(res.single.socket_path))]
    assert res.cluster is not None
    out = []
    for node in res.cluster.nodes:
        with node.client() as c:
            if c.info("replication")["role"] == "master":
                out.append(node.client())
    return out


def shard_stats(nodes: list[redis.Redis], seconds: float) -> list[dict[str, int]]:
    """Per master: its keys, and the commands it ran per second since the stats' reset."""
    out = []
    for c in nodes:
        commands: dict[str, Any] = c.info("commandstats")
        calls = sum(int(v["calls"]) for k, v in commands.items() if "config" not in k)
        out.append({"keys": int(c.dbsize()), "commands_per_s": round(calls / seconds)})
    return out


async def create_events(client: RedisClient, args: argparse.Namespace) -> list[Any]:
    """The events (each its own sample conference), all at the same version."""
    service = Service(Store(client))
    first_round_at_ms = wall_clock_ms() + 3_600_000
    states = []
    for i in range(args.events):
        conf = sample.generate(seed=i, event_id=f"ev-{i:04d}", participants=args.devices,
                               first_round_at_ms=first_round_at_ms, round_minutes=20,
                               changeover_minutes=5)  # fmt: skip
        records: list[Record] = [r for r in conf.records() if r is not conf.event]
        states.append(await service.create_event(conf.event, records, actor="bench"))
    return states


def targets(states: list[Any], args: argparse.Namespace, ports: list[int]) -> list[Target]:
    """Per event: a feed per participant (up to --devices) and --moderators moderators;
    the target's last field is the event's index, to find its commit times."""
    out: list[Target] = []
    n = 0
    for index, state in enumerate(states):
        people = sorted(state.participants.values(), key=lambda p: p.id)
        tokens = [p.token for p in people][: args.devices]
        tokens += [state.event.moderator_token] * args.moderators
        for token in tokens:
            url = f"ws://127.0.0.1:{ports[n % len(ports)]}/ws"
            out.append((url, state.event.id, token, Encoding.MSGPACK.value, index))
            n += 1
    return out


async def drive(
    client: RedisClient, states: list[Any], args: argparse.Namespace, wait_replicas: int
) -> tuple[dict[tuple[int, int], int], list[float]]:
    """`--rounds` announcements per event, started at `--rate` per second whatever Redis
    answers (the same offered load on both backends); (event index, version) -> commit
    time (µs), and every commit's duration (ms)."""
    service = Service(Store(client, wait_replicas=wait_replicas, wait_timeout_ms=2000))
    commits: dict[tuple[int, int], int] = {}
    durations: list[float] = []

    async def one(index: int, k: int) -> None:
        note = Announcement(id=f"bench-{k}", text=f"Announcement {k}: coffee in hall B.")
        started = time.perf_counter()
        record = await service.execute(
            states[index].event.id, "announce", lambda _s: Change(upserts=(note,)),
            actor="bench",
        )  # fmt: skip
        durations.append((time.perf_counter() - started) * 1000)
        assert record is not None
        commits[(index, record.version)] = now_us()

    for index in range(len(states)):  # every replica loaded before the clock starts
        await service.state(states[index].event.id)
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for n in range(args.rounds * len(states)):
        await asyncio.sleep(max(0.0, start + n / args.rate - loop.time()))
        tasks.append(asyncio.create_task(one(n % len(states), n // len(states))))
    await asyncio.gather(*tasks)
    return commits, durations


def percentiles(values: list[float]) -> dict[str, float | None]:
    values = sorted(values)
    n = len(values)

    def pick(q: float) -> float | None:
        return round(values[min(n - 1, int(q * n))], 2) if n else None

    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": pick(1.0)}


async def run_backend(
    backend: str, args: argparse.Namespace, res: Resources, workers: list[Connection]
) -> dict[str, Any]:
    print(f"{backend}:")
    if backend == "single":
        res.single = EmbeddedRedis(res.tmp / "single")
        url = res.single.start()
        wait = 0
    else:
        res.cluster = LocalCluster(res.tmp / "cluster")
        url = res.cluster.start()
        wait = args.cluster_wait
    client = redis_client(url)
    try:
        started = time.monotonic()
        states = await create_events(client, args)
        print(f"  {len(states)} events created in {time.monotonic() - started:.1f} s")
        os.environ["MATCHBOARD_REDIS_WAIT_REPLICAS"] = str(wait)
        ports = start_servers(res, args.instances, url)  # type: ignore[arg-type]
        before = sum(rss_kb(p.pid) for p in res.servers)
        feeds = targets(states, args, ports)
        started = time.monotonic()
        answers = await ask(workers, [("connect", feeds[w :: len(workers)])
                                      for w in range(len(workers))], 300)  # fmt: skip
        connected = sum(n for n, _errors in answers)
        for _n, errors in answers:
            for error in errors:
                print(f"  connect failed: {error}", file=sys.stderr)
        print(f"  {connected}/{len(feeds)} feeds connected in {time.monotonic() - started:.1f} s")
        nodes = masters(res, backend)
        for c in nodes:
            c.config_resetstat()
        started = time.monotonic()
        commits, durations = await drive(client, states, args, wait)
        seconds = time.monotonic() - started
        shards = shard_stats(nodes, seconds)  # the commits' window only
        last = max(version for _index, version in commits)
        received = await ask(workers, [("collect", (last, COLLECT_S))] * len(workers), 120)
        after = sum(rss_kb(p.pid) for p in res.servers)
        for c in nodes:
            c.close()
        await ask(workers, [("close", None)] * len(workers), 120)
    finally:
        await client.aclose()
    res.stop_servers()
    for server in (res.single, res.cluster):  # free the cores for the next backend
        if server is not None:
            server.stop()
    res.single = res.cluster = None
    fan_out = stats([f for answer in received for f in answer],
                    lambda index, version: commits.get((index, version)))  # fmt: skip
    return {
        "connected": connected,
        "expected": len(feeds) * args.rounds,
        "delivered": fan_out["delivered"],
        "commit": percentiles(durations),
        "fan_out": {k: v for k, v in fan_out.items() if k != "delivered"},
        "shards": shards,
        "server_kb_per_event": round((after - before) / len(states), 1),
        "wait_replicas": wait,
    }


async def bench(args: argparse.Namespace, res: Resources) -> dict[str, Any]:
    feeds = args.events * (args.devices + args.moderators)
    processes = math.ceil(feeds / PER_PROCESS)
    workers = [start_child(res.children, client_worker) for _ in range(processes)]
    out: dict[str, Any] = {"events": args.events, "devices": args.devices,
                           "moderators": args.moderators, "instances": args.instances,
                           "rounds": args.rounds}  # fmt: skip
    for backend in ("single", "cluster"):
        if args.only in (None, backend):
            out[backend] = await run_backend(backend, args, res, workers)
    return out | {"cores": os.cpu_count(), "python": platform.python_version()}


def report(out: dict[str, Any]) -> None:
    print(f"\n{out['events']} events x ({out['devices']} devices + {out['moderators']} "
          f"moderators), {out['instances']} server processes, {out['rounds']} commits per "
          f"event, {out['cores']} cores, Python {out['python']}\n")  # fmt: skip
    print(f"{'':<10}{'delivered':>16}{'commit p50':>12}{'commit p99':>12}"
          f"{'fan-out p50':>13}{'fan-out p99':>13}{'KB/event':>10}"
          "  keys / commands per s, per shard")  # fmt: skip
    for backend in ("single", "cluster"):
        if backend not in out:
            continue
        r = out[backend]
        shards = ", ".join(f"{s['keys']}/{s['commands_per_s']}" for s in r["shards"])
        print(f"{backend:<10}{str(r['delivered']) + '/' + str(r['expected']):>16}"
              f"{r['commit']['p50_ms']:>12}{r['commit']['p99_ms']:>12}"
              f"{r['fan_out']['p50_ms']:>13}{r['fan_out']['p99_ms']:>13}"
              f"{r['server_kb_per_event']:>10}  {shards}")  # fmt: skip
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--moderators", type=int, default=2)
    parser.add_argument("--instances", type=int, default=3, help="server processes")
    parser.add_argument("--rounds", type=int, default=5, help="commits per event")
    parser.add_argument("--only", choices=("single", "cluster"))
    parser.add_argument("--cluster-wait", type=int, default=1,
                        help="WAIT replicas on the cluster (0: no WAIT)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=50.0,
                        help="commits per second, over all events")  # fmt: skip
    args = parser.parse_args()
    if min(args.events, args.devices, args.instances, args.rounds, args.rate) <= 0:
        raise SystemExit("--events, --devices, --instances and --rounds must be at least 1")
    raise_file_limit()
    out = run_bench("mb-events-", Resources, lambda res: bench(args, res))
    report(out)


if __name__ == "__main__":
    main()
