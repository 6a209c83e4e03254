"""An operator's workspace (config directory, database) and the installed command run in it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

NEWSRADAR = Path(sys.executable).with_name("newsradar")


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
