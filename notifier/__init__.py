"""Telling people: watchlists and matching, message rendering, outbox sender, bot commands."""
