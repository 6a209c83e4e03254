"""What every section returns: headline figures against their targets, plus details."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    ok: bool | None = None  # None: reported, no target

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "ok": self.ok,
        }


@dataclass
class Section:
    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    def as_dict(self) -> dict[str, Any]:
        return {
            "figures": [f.as_dict() for f in self.figures],
            "details": self.details,
            "tables": [
                {"title": title, "columns": columns, "rows": rows}
                for title, columns, rows in self.tables
            ],
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
        }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    if len(xs) < 2:
        return float("nan"), float("nan")
    slope, intercept = statistics.linear_regression(xs, ys)
    return slope, intercept


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)
