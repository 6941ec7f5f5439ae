"""`matchboard demo` as a newcomer runs it: embedded Redis, sample event, /readyz green."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

STARTUP_LIMIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_demo(data_dir: Path, port: int, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHBOARD_")}
    log = data_dir.parent / f"demo-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.edge.cli", "demo", "--data-dir", str(data_dir),
             "--port", str(port), "--round-minutes", "2", *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )  # fmt: skip
    return proc, log


def wait_ready(proc: subprocess.Popen[bytes], log: Path, port: int) -> tuple[str, float]:
    """Poll /readyz until it answers 200 (bounded); return (the demo's output, seconds)."""
    started = time.monotonic()
    while time.monotonic() - started < STARTUP_LIMIT_S:
        assert proc.poll() is None, f"demo exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return log.read_text(), time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/readyz not green within {STARTUP_LIMIT_S} s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def read_event(output: str, port: int) -> dict[str, Any]:
    """The sample event's state, read with the moderator token the demo printed."""
    token = re.search(r"Moderator token:\s+(\S+)", output)
    assert token, output
    body: dict[str, Any] = httpx.get(
        f"http://127.0.0.1:{port}/api/events/icmc-2026",
        headers={"authorization": f"Bearer {token.group(1)}"},
    ).json()
    return body


def test_demo_serves_the_sample_and_a_second_start_reuses_the_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    data.parent.mkdir(parents=True, exist_ok=True)
    proc, log = start_demo(data, port)
    try:
        output, _ = wait_ready(proc, log, port)
        body = read_event(output, port)
        assert len(body["participants"]) == 250
        scheduled = [m for m in body["meetings"] if m["status"] == "scheduled"]
        assert len(scheduled) >= 550
        # Round 1's seating begins at once, yet the sample is planned as if before the
        # event: round 1 has its meetings (the hall shows who sits where right away).
        assert sum(1 for m in scheduled if m["round"] == 1) >= 20
        first_round = min(r["starts_at_ms"] for r in body["rounds"])
        assert 0 < first_round - time.time() * 1000 < 70_000  # round 1 starts in a minute
        epoch = body["epoch"]
    finally:
        stop(proc)
    assert proc.returncode in (0, -signal.SIGINT)
    assert not (data / "redis.sock").exists()  # the embedded Redis stopped with it

    again, log = start_demo(data, port, "--keep")
    try:
        output, _ = wait_ready(again, log, port)
        body = read_event(output, port)
        assert body["epoch"] == epoch  # the same event, read back from the append-only file
    finally:
        stop(again)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_the_demo_stops_its_redis_on_sigterm_and_sighup(tmp_path: Path, signum: int) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc, log = start_demo(data, port)
    left_running = False
    try:
        wait_ready(proc, log, port)
        assert (data / "redis.sock").exists()
        proc.send_signal(signum)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        left_running = (data / "redis.sock").exists()
        if left_running:  # do not leave it behind when the test fails, however it fails
            import redis as sync_redis

            with contextlib.suppress(sync_redis.RedisError):
                sync_redis.Redis(unix_socket_path=str(data / "redis.sock")).shutdown(nosave=True)
    assert proc.returncode == 128 + signum, log.read_text()
    assert not left_running, "the embedded Redis was left running"
    # The app shut down in order (feeds, timekeeper, Redis client), not torn down.
    assert "Application shutdown complete" in log.read_text(), log.read_text()


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_taken_port_is_a_clear_error_before_any_link(tmp_path: Path, command: str) -> None:
    """Another program listens on the port: no link is printed (another process would
    answer it), the exit is non-zero with a message that says what to do, and no
    embedded Redis is left running."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHBOARD_")}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.edge.cli", command, "--data-dir", str(data),
             "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            out, err = proc.communicate(timeout=60)  # bounds the wait only
        except subprocess.TimeoutExpired:
            proc.terminate()  # stops its Redis too (SIGTERM, see the test above)
            out, err = proc.communicate(timeout=20)
            raise AssertionError(f"still running with the port taken:\n{out}\n{err}") from None
        finally:
            left_running = (data / "redis.sock").exists()
            if left_running:  # do not leave it behind when the test fails
                import redis as sync_redis

                with contextlib.suppress(sync_redis.RedisError):
                    sync_redis.Redis(unix_socket_path=str(data / "redis.sock")).shutdown(
                        nosave=True
                    )
    assert proc.returncode == 2, (out, err)
    assert f"port {port} on 127.0.0.1 is already in use; pass --port" in err
    assert "http://" not in out + err
    assert not left_running, "the embedded Redis was left running"
