"""The layers hold (docs/architecture.md, "Layers"): an AST walk over server/.

- core/ is pure: no asyncio, Redis, Starlette, uvicorn or websockets, no clock reads
  (`time`, `datetime.now`/`utcnow`/`today`), no randomness (`random`, `secrets`, `uuid`,
  `os.urandom`), and nothing of server/ outside core/. Ids and times come in as arguments.
- wire/ does no I/O either (no asyncio, Redis, Starlette, uvicorn) and imports only core/.
- client/ imports nothing of server/ but itself, so that integrators can vendor it.
- solve/ (the optimiser) does no I/O and imports only core/ of server/. It searches under
  a time limit, so it may read the monotonic clock (`time.monotonic`, for its deadline)
  and draw from a seeded `random.Random` (its neighbourhoods); nothing else of `time` or
  `random`, no wall clock, no `secrets`/`uuid`/`os.urandom`.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent.parent / "server"
IO = {"asyncio", "redis", "starlette", "uvicorn", "websockets", "socket", "selectors"}
CLOCK_AND_CHANCE = {"time", "random", "secrets", "uuid"}
NOW_CALLS = {"now", "utcnow", "today", "urandom", "time_ns", "monotonic"}


def modules(package: str, root: Path = SERVER) -> list[Path]:
    found = sorted((root / package).rglob("*.py"))
    assert found, f"no modules in server/{package}"
    return found


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}:{node.lineno}: relative import"
            module = node.module or ""
            names.append((node.lineno, module))
            if module == "server":  # `from server import core`: each name is a module
                names += [(node.lineno, f"server.{alias.name}") for alias in node.names]
    return names


def violations(
    package: str, banned: set[str], allowed_server: tuple[str, ...], root: Path = SERVER
) -> list[str]:
    found = []
    for path in modules(package, root):
        where = path.relative_to(root.parent).as_posix()
        for line, name in imports(path):
            top = name.split(".")[0]
            if top in banned:
                found.append(f"{where}:{line} imports {name}")
            if top == "server" and name != "server" and not name.startswith(allowed_server):
                found.append(f"{where}:{line} imports {name}, outside its layer")
    return found


def clock_reads(package: str, root: Path = SERVER) -> list[str]:
    """Calls like datetime.now(), date.today(), os.urandom(), time.time_ns()."""
    found = []
    for path in modules(package, root):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in NOW_CALLS:
                where = path.relative_to(root.parent).as_posix()
                found.append(f"{where}:{node.lineno} reads .{node.attr}")
    return found


def test_core_is_pure() -> None:
    assert violations("core", IO | CLOCK_AND_CHANCE, ("server.core",)) == []
    assert clock_reads("core") == []


def test_wire_does_no_io_and_sits_on_the_core() -> None:
    banned = IO - {"websockets"}  # websockets' sans-I/O frames only, never its sockets
    assert violations("wire", banned | CLOCK_AND_CHANCE, ("server.wire", "server.core")) == []
    assert clock_reads("wire") == []
    for path in modules("wire"):
        for line, name in imports(path):
            if name.startswith("websockets"):
                assert name in ("websockets.frames", "websockets.extensions"), (path, line, name)


# What solve/ may use of `time` and `random`: a deadline and a seeded generator.
SOLVE_MAY = {"time": {"monotonic"}, "random": {"Random"}}


def solve_reads(root: Path = SERVER) -> list[str]:
    """In solve/: `time.x` / `random.x` other than SOLVE_MAY, names imported from them,
    and clock or entropy reads other than `.monotonic`."""
    found = []
    for path in modules("solve", root):
        where = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in SOLVE_MAY:
                found.append(f"{where}:{node.lineno} imports names from {node.module}")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                allowed = SOLVE_MAY.get(node.value.id)
                if allowed is not None and node.attr not in allowed:
                    found.append(f"{where}:{node.lineno} uses {node.value.id}.{node.attr}")
                    continue
            if isinstance(node, ast.Attribute) and node.attr in NOW_CALLS - {"monotonic"}:
                found.append(f"{where}:{node.lineno} reads .{node.attr}")
    return found


def test_solve_is_an_optimiser_on_the_core() -> None:
    """solve/ does no I/O and sits on core/ only: never edge/, wire/, client/ or demo/;
    of the clock and chance only a deadline and a seeded generator."""
    banned = IO | (CLOCK_AND_CHANCE - set(SOLVE_MAY))
    assert violations("solve", banned, ("server.solve", "server.core")) == []
    assert solve_reads() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import time\nx = time.time()\n", "uses time.time"),
        ("import random\nx = random.random()\n", "uses random.random"),
        ("from time import monotonic\n", "imports names from time"),
        ("import datetime\nx = datetime.datetime.now()\n", "reads .now"),
    ],
)
def test_the_solve_walk_catches_a_clock_or_chance(
    tmp_path: Path, source: str, expected: str
) -> None:
    (tmp_path / "server" / "solve").mkdir(parents=True)
    (tmp_path / "server" / "solve" / "bad.py").write_text(
        "import random\nimport time\nok = (time.monotonic(), random.Random(1))\n" + source
    )
    found = solve_reads(tmp_path / "server")
    assert len(found) == 1 and expected in found[0], found


def test_the_client_imports_nothing_of_the_server() -> None:
    assert violations("client", set(), ("server.client",)) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio\n", "imports asyncio"),
        ("from server.edge.store import Store\n", "outside its layer"),
        ("from server import edge\n", "outside its layer"),
        ("import secrets\n", "imports secrets"),
    ],
)
def test_the_walk_catches_a_breach(tmp_path: Path, source: str, expected: str) -> None:
    (tmp_path / "server" / "core").mkdir(parents=True)
    (tmp_path / "server" / "core" / "bad.py").write_text(source)
    found = violations("core", IO | CLOCK_AND_CHANCE, ("server.core",), tmp_path / "server")
    assert len(found) == 1 and expected in found[0], found


def test_the_walk_catches_a_clock_read(tmp_path: Path) -> None:
    (tmp_path / "server" / "core").mkdir(parents=True)
    (tmp_path / "server" / "core" / "bad.py").write_text(
        "import datetime\nx = datetime.datetime.now()\n"
    )
    found = clock_reads("core", tmp_path / "server")
    assert found == ["server/core/bad.py:2 reads .now"]


def test_the_fan_out_knows_no_web_framework() -> None:
    """The feed writes frames to a FrameWriter; which transport is behind it (lean or
    ASGI) is the drivers' business, so the hub, feed and frame plumbing never import
    Starlette or uvicorn (the issue this layout fixed: hub reached both via wsconn)."""
    for name in ("hub", "feed", "wsconn", "service", "store", "timekeeper"):
        path = SERVER / "edge" / f"{name}.py"
        for line, module in imports(path):
            assert module.split(".")[0] not in ("starlette", "uvicorn"), (name, line, module)


# Folders of data files that setuptools installs as packages of their own (package-data).
DATA_FOLDERS = ("lua", "fonts")


def test_every_package_is_installed() -> None:
    """pyproject.toml lists the packages setuptools installs: a layer missing there
    imports from a checkout but not from an install (and the `matchboard` command fails)."""
    config = tomllib.loads((SERVER.parent / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.relative_to(SERVER.parent).parts)
        for path in [SERVER, *SERVER.rglob("*")]
        if path.is_dir() and ((path / "__init__.py").exists() or path.name in DATA_FOLDERS)
    }
    assert found <= listed, found - listed
    assert listed <= found, listed - found
    assert config["project"]["scripts"]["matchboard"] == "server.edge.cli:main"
