"""Test support: the local Bot API server, fixtures and test data locations."""

from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"
