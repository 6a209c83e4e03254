"""`newsradar serve`, one small object per loop, wired together in `service`.

- `crawl_scheduler`: starts each outlet's crawl on its own schedule (APScheduler).
- `match_loop`: matches stored articles against the watchlists and queues their alerts.
- `delivery_loop`: delivery rounds that drain the outbox at Telegram's pace.
- `bot_loop`: the Telegram bot answering commands.
- `reload_loop`: loads a saved edit of `config/`, refuses a broken one.
- `health_endpoint`: /healthz and /metrics on a local port.

They share one event loop, and none of them does database work on it: each hands it to a
thread, so a lock wait (SQLite waits up to 30 s for another writer) holds up only the step that
needs the database, never the bot, the scheduler or /healthz.
"""
