"""Hot reload of `config/` for `serve`: a saved edit takes effect, a broken one is refused.

The directory is polled (its YAML files' names, sizes and modification times), which works the
same on every filesystem and editor, including editors that save by renaming a new file in.
"""

from __future__ import annotations

from pathlib import Path

from newsradar.config import Config, ConfigError, load_config

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

    def __init__(self, config: Config) -> None:
        self.current = config
        self._seen = signature(config.directory)
        self._settling: Signature | None = None

    def poll(self) -> Config | None:
        """The new config when the files changed and are valid, None when nothing changed.

        A change is loaded once the files look the same on two polls in a row, so a file caught
        half-written by its editor is not mistaken for a broken edit. Raises ConfigError when
        they changed and are invalid; `current` stays as it was, and the same broken state is
        not reported twice.
        """
        seen = signature(self.current.directory)
        if seen == self._seen:
            self._settling = None
            return None
        if seen != self._settling:
            self._settling = seen
            return None
        self._seen, self._settling = seen, None
        config = load_config(self.current.directory)  # may raise ConfigError
        self.current = config
        return config


__all__ = ["ConfigError", "ConfigWatcher", "signature"]
