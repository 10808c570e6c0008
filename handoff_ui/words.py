"""Every word the console shows for a state, exactly as the help page says it."""

from __future__ import annotations

from handoff.words import FLAG_WORDS as FLAG_WORDS  # the core says these too
from handoff.words import MODE_WORDS as MODE_WORDS
from handoff.words import ROLE_WORDS as ROLE_WORDS

FLAG_COLORS = {
    "thumbs_down": "red-8",
    "non_answer": "deep-orange-8",
    "negative_feedback": "purple-7",
    "help_requested": "pink-7",
}
STATUS_WORDS = {"ai_active": "AI Active", "paused": "Paused"}
STATUS_COLORS = {"ai_active": "positive", "paused": "warning"}

ACTIVE = "Active Conversations"
NEEDS_ATTENTION = "Needs Attention"
PAUSED = "Paused (Human)"
SET_ALL = "Set all services"
TAKE_OVER = "Take Over Conversation"
SEND = "Send"
RESUME_AI = "Resume AI"
RELEASE = "Release"
DISMISS = "Dismiss flags"
NOT_NEEDED = "Not needed"
ADD_NOTE = "Add note"
USE_SUGGESTION = "Use suggestion"
TYPING = "An agent is typing..."
AI_WORDS = {
    "knowledge": "Built-in knowledge",
    "bot": "External bot",
    "model": "OpenAI-compatible model",
}
ROLE_NAMES = {"agent": "Agent", "admin": "Admin"}
SAVE = "Save"
CANCEL = "Cancel"
HISTORY_STATUS_WORDS = {"live": "Live", "paused": "Paused", "ended": "Ended"}
HISTORY_STATUS_COLORS = {"live": "positive", "paused": "warning", "ended": "grey"}
TIMELINE_WORDS = {
    "started": "Started",
    "flagged": "Flagged",
    "take_over": "Taken over",
    "add_note": "Note added",
    "resume_ai": "AI resumed",
    "release": "Released",
    "dismiss_flags": "Flags dismissed",
    "flag_not_needed": "Flag marked Not needed",
    "ended": "Ended",
}
CLOSED_WORDS = {"acknowledged": "taken over", "dismissed": "dismissed", "not_needed": "Not needed"}
