"""The sample conference and the rehearsal: a seeded, realistic event and a simulated day
played against a running server through its public API."""
