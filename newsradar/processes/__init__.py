"""The processes a user starts: the command line, `run-once`, `serve` and `worker`."""
