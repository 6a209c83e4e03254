"""Hot reload of `config/` for `serve`: a saved edit takes effect, a broken one is refused.

The directory is polled (its YAML files' names, sizes and modification times), which works the
same on every filesystem and editor, including editors that save by renaming a new file in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from newsradar.config import Config, ConfigError, ConfigProblem, load_config
from newsradar.config_problems import cut

log = logging.getLogger("newsradar.serve")

Signature = tuple[tuple[str, int, int], ...]


def signature(directory: Path) -> Signature:
    files = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed between listing and stat: the next poll sees the new state
        files.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(files)


class ConfigWatcher:
    """Holds the last good config; `poll()` loads a changed directory and says what happened."""

    def __init__(self, config: Config, load: Callable[[Path], Config] = load_config) -> None:
        self.current = config
        self._load = load
        self._seen = signature(config.directory)
        self._settling: Signature | None = None

    def poll(self) -> Config | None:
        """The new config when the files changed and are valid, None when nothing changed.

        A change is loaded once the files look the same on two polls in a row, so a file caught
        half-written by its editor is not mistaken for a broken edit. Raises ConfigError when
        they changed and are invalid, whatever loading them raised (a hostile edit must not end
        the reload task); `current` stays as it was, and the same broken state is not reported
        twice.
        """
        seen = signature(self.current.directory)
        if seen == self._seen:
            self._settling = None
            return None
        if seen != self._settling:
            self._settling = seen
            return None
        self._seen, self._settling = seen, None
        config = self._candidate(self.current.directory)
        self.current = config
        return config

    def _candidate(self, directory: Path) -> Config:
        try:
            return self._load(directory)
        except ConfigError:
            raise
        except Exception as exc:
            log.debug("loading the edited configuration failed", exc_info=True)
            reason = cut(f"{type(exc).__name__}: {exc}")
            raise ConfigError(
                [ConfigProblem(directory, None, f"the edit could not be loaded ({reason})")]
            ) from None


__all__ = ["ConfigError", "ConfigWatcher", "signature"]
