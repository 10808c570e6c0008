"""A card's face is made once per snapshot and shared by every page (issue 17)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from handoff.views import ConversationView, FlagView
from handoff_ui.cards import Faces

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def view(**changes: object) -> ConversationView:
    base = ConversationView(
        id="c1",
        service_slug="shop",
        service_mode="human_supported",
        status="ai_active",
        started_at=NOW,
        last_activity_at=NOW,
        message_count=1,
        opening_question="<b>Where</b> is my parcel?",
        city="Lyon",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_one_face_per_snapshot_for_every_page() -> None:
    faces, first = Faces(), view()
    assert faces.of(first) is faces.of(first)  # the second page gets the string the first one got
    face = json.loads(faces.of(first))
    assert face["question"] == "<b>Where</b> is my parcel?"  # a value for text, never markup
    assert face["started_at"] == NOW.isoformat() and "started" not in face  # worded by the browser, any time

    flagged = replace(first, open_flags=(FlagView(1, "c1", "help_requested", "asked for a human", NOW),))
    assert json.loads(faces.of(flagged))["flags"][0]["word"] == "Help Requested"  # a new snapshot, a new face
    assert faces.of(flagged) is faces.of(flagged)


def test_an_ended_conversation_is_not_kept() -> None:
    faces, live = Faces(), view()
    kept = faces.of(live)
    ended = replace(live, ended_at=NOW)
    assert faces.of(ended) is not faces.of(ended)  # made when asked, never kept
    assert faces.of(live) is kept
    faces.forget(live.id)  # what Live does when the conversation ends
    assert faces.of(live) is not kept
