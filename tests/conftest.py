"""Fixtures shared by the whole suite: local outlets, a local Bot API server, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from newsradar.demo.server import SampleOutlets
from tests.support.fixtures import TEST_BOT_TOKEN, bot_api  # noqa: F401  (fixture)
from tests.support.pg import pg_url  # noqa: F401  (fixture)

NEWSRADAR = Path(sys.executable).with_name("newsradar")


@pytest.fixture
def sample_outlets() -> Iterator[SampleOutlets]:
    with SampleOutlets() as outlets:
        yield outlets


@dataclass
class Workspace:
    """A config directory and a database, as an operator would have them."""

    root: Path
    database_override: str | None = None  # e.g. a PostgreSQL URL instead of the SQLite file

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def database_url(self) -> str:
        return self.database_override or f"sqlite:///{self.root / 'newsradar.db'}"

    def write_config(
        self,
        outlets: list[dict[str, object]],
        watchlists: list[dict[str, object]],
        crawl: dict[str, object] | None = None,
    ) -> None:
        self.config_dir.mkdir(exist_ok=True)
        crawl = {"download_delay": 0, "per_host_concurrency": 4, "timeout": "10s", **(crawl or {})}
        (self.config_dir / "outlets.yaml").write_text(
            yaml.safe_dump({"crawl": crawl, "outlets": outlets}, sort_keys=False)
        )
        (self.config_dir / "watchlists.yaml").write_text(
            yaml.safe_dump({"watchlists": watchlists}, sort_keys=False)
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRADAR_")}
        env.update(
            NEWSRADAR_CONFIG_DIR=str(self.config_dir),
            NEWSRADAR_DATABASE_URL=self.database_url,
            **extra,
        )
        return env

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the installed `newsradar` command, as a user or a timer would."""
        return subprocess.run(
            [str(NEWSRADAR), *args],
            env=self.env(**env),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def telegram_env(bot_api) -> dict[str, str]:  # noqa: F811
    return {"NEWSRADAR_TELEGRAM_TOKEN": TEST_BOT_TOKEN, "NEWSRADAR_TELEGRAM_API_URL": bot_api.url}
