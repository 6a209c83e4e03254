"""newsradar: the glue that wires crawler and notifier into commands (CLI, settings, storage)."""
