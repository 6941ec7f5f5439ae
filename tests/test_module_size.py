"""No module under server/ passes 400 lines (#10 item 8): one concept per module.

A module that grows past the limit is split along a real seam (docs/architecture.md,
"Where to make a change", says which file holds what).
"""

from __future__ import annotations

from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"
MAX_LINES = 400


def test_no_server_module_is_over_400_lines() -> None:
    sizes = {
        path.relative_to(SERVER.parent).as_posix(): len(
            path.read_text(encoding="utf-8").splitlines()
        )
        for path in SERVER.rglob("*.py")
    }
    assert "server/edge/service.py" in sizes  # the walk found the modules
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"split these along a seam (at most {MAX_LINES} lines): {too_long}"
