"""Hostile config texts shared by the config loader's tests and the serve scenario."""

from __future__ import annotations


def billion_laughs(levels: int = 9) -> str:
    """A watchlist whose chats expand to 10**levels values, in a few hundred bytes."""
    lines = ["watchlists:", "  - id: w", "    title: W", "    query: Iraq"]
    lines.append("    l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]")
    for level in range(1, levels):
        lines.append(f"    l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    lines.append(f"    chats: *l{levels - 1}")
    return "\n".join(lines) + "\n"
