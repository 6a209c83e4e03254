"""`serve`'s crawl schedule (newsradar/processes/serving/crawl_scheduler.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsradar.config import Outlet
from newsradar.processes.serving.crawl_scheduler import (
    MAX_SPREAD,
    first_run_delay,
    outlet_trigger,
)


def test_an_interval_schedule_keeps_its_period_and_outlets_start_apart() -> None:
    """Runs come exactly one interval apart (a per-run jitter would stretch every period, and
    an article's wait with it); outlets sharing the schedule differ in when they first run."""
    outlet = Outlet(id="x", name="X", feeds=["https://x.example/feed"], every="1m")
    trigger = outlet_trigger(outlet)
    now = datetime.now(UTC)
    fire = trigger.get_next_fire_time(None, now)
    for _ in range(50):
        later = trigger.get_next_fire_time(fire, fire)
        assert later - fire == timedelta(minutes=1)
        fire = later
    delays = [first_run_delay(outlet) for _ in range(200)]
    assert all(0 <= d <= 3 for d in delays) and max(delays) - min(delays) > 1
    hourly = Outlet(id="y", name="Y", feeds=["https://y.example/feed"], every="1h")
    assert max(first_run_delay(hourly) for _ in range(200)) <= MAX_SPREAD
