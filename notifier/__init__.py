"""Telling people: queries and matching, turning matches into queued alerts (`alert_queue`),
delivery planning and sending (`delivery_plan`, `delivery`), rendering, the Telegram sender and
the bot. Storage is reached only through the Protocols of `ports` (and `bot.backend`)."""
