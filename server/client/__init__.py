"""The reference Python client of the `/ws` protocol. It imports nothing else of server/,
so that an integrator can copy this folder into their own project."""
