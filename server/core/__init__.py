"""The pure core: records, rules, the clock's maths, commands as decisions, what each
audience sees. No I/O of any kind: no asyncio, Redis, Starlette, uvicorn or websockets, no
clock reads (time is an argument, `now_ms`), no randomness (new ids and secrets derive from
entropy the edge mints: fresh.py), and no import from outside this package.
tests/test_boundaries.py holds it to that."""
