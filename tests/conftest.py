"""Fixtures shared by the whole suite (local outlets, a local Bot API server, a workspace), and
the `fast` marker on every test outside `tests/scenarios/` that is not marked `slow`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsradar.demo.server import SampleOutlets
from tests.support.fixtures import TEST_BOT_TOKEN, bot_api  # noqa: F401  (fixture)
from tests.support.pg import pg_url  # noqa: F401  (fixture)
from tests.support.redis_frontier import prefix, redis_url  # noqa: F401  (fixtures)
from tests.support.workspace import Workspace

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Unit tests are the fast subset (`uv run pytest -m fast`); end-to-end scenarios and unit
    tests marked `slow` are not."""
    for item in items:
        if SCENARIOS in Path(item.path).resolve().parents:
            continue
        if item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.fast)


@pytest.fixture
def sample_outlets() -> Iterator[SampleOutlets]:
    with SampleOutlets() as outlets:
        yield outlets


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def telegram_env(bot_api) -> dict[str, str]:  # noqa: F811
    return {"NEWSRADAR_TELEGRAM_TOKEN": TEST_BOT_TOKEN, "NEWSRADAR_TELEGRAM_API_URL": bot_api.url}
