"""The help page's words for states, that the core also says (in webhooks' Slack messages); the console's
other words are handoff_ui.words."""

from __future__ import annotations

FLAG_WORDS = {
    "thumbs_down": "Thumbs Down",
    "non_answer": "Non-Answer",
    "negative_feedback": "Negative Feedback",
    "help_requested": "Help Requested",
}
MODE_WORDS = {
    "ai_only": "AI Only",
    "human_supported": "Human-Supported AI",
    "human_only": "Human Only",
}
ROLE_WORDS = {"user": "Customer", "ai": "AI", "human": "Agent", "system": "System"}
