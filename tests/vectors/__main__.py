"""`python -m tests.vectors`: regenerate the shared test vectors from the Python code."""

from __future__ import annotations

from tests.vectors import write_all

if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}")
