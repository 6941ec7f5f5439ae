"""The optimising scheduler (issue #11): a plain problem, the break metric, a greedy start
and a CP-SAT model. Imports nothing of server/ outside core/ and does no I/O."""
