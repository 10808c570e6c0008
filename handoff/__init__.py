"""Handoff's conversation server core: services, events, API and settings. Never imports the UI."""
