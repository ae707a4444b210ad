"""Emulators of the external APIs (Notion, Telegram Bot API) and sample data, in plain Python."""
