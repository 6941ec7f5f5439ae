"""Everything that does I/O: Redis (store, service), fan-out (hub, feed), the timekeeper,
the two WebSocket transports driving wire's session, HTTP routes and pages, settings, the
app's wiring, the command line and the embedded Redis. Ids and times are minted here and
passed into the core."""
