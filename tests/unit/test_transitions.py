"""Every conversation state x every action x every service mode, checked against one table.

States: active (AI Active, unclaimed), mine (Alice holds it), other (Bob holds it), released (Paused,
nobody holds it), ended. Alice performs the agent actions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from handoff.core import Core
from handoff.errors import AISilenced, AlreadyClaimed, Conflict, HandoffError
from handoff.views import AgentRef

STATES = ("active", "mine", "other", "released", "ended")
ACTIONS = (
    "customer_message",
    "ai_message",
    "rate_down",
    "request_human",
    "take_over",
    "send",
    "release",
    "resume_ai",
    "end",
    "dismiss",
)

# Human-Supported AI: the standard handoff mode.
SUPPORTED = {
    "active": dict(
        customer_message="ok",
        ai_message="ok",
        rate_down="ok",
        request_human="ok",
        take_over="ok",
        send="conflict",
        release="conflict",
        resume_ai="conflict",
        end="ok",
        dismiss="ok",
    ),
    "mine": dict(
        customer_message="ok",
        ai_message="silenced",
        rate_down="ok",
        request_human="ok",
        take_over="ok",
        send="ok",
        release="ok",
        resume_ai="ok",
        end="ok",
        dismiss="ok",
    ),
    "other": dict(
        customer_message="ok",
        ai_message="silenced",
        rate_down="ok",
        request_human="ok",
        take_over="claimed",
        send="claimed",
        release="claimed",
        resume_ai="claimed",
        end="ok",
        dismiss="ok",
    ),
    "released": dict(
        customer_message="ok",
        ai_message="silenced",
        rate_down="ok",
        request_human="ok",
        take_over="ok",
        send="conflict",
        release="conflict",
        resume_ai="ok",
        end="ok",
        dismiss="ok",
    ),
    "ended": dict(
        customer_message="conflict",
        ai_message="conflict",
        rate_down="ok",
        request_human="conflict",
        take_over="conflict",
        send="conflict",
        release="conflict",
        resume_ai="conflict",
        end="ok",
        dismiss="ok",
    ),
}
# Human Only: as above, but the AI never speaks.
HUMAN_ONLY = {
    state: {**row, "ai_message": "silenced" if state != "ended" else "conflict"}
    for state, row in SUPPORTED.items()
}
# AI Only: no conversation can be paused (switching to it hands them back), and nobody can intervene.
AI_ONLY = {
    "active": {**SUPPORTED["active"], "request_human": "conflict", "take_over": "conflict"},
    "ended": SUPPORTED["ended"],
}
TABLE = {"human_supported": SUPPORTED, "human_only": HUMAN_ONLY, "ai_only": AI_ONLY}

Action = Callable[[Core, str, int, AgentRef], Awaitable[Any]]
ACTION_CALLS: dict[str, Action] = {
    "customer_message": lambda c, cid, mid, a: c.conversations.add_customer_message(
        conversation_id=cid, text="Any news?"
    ),
    "ai_message": lambda c, cid, mid, a: c.conversations.add_ai_message(conversation_id=cid, text="Soon."),
    "rate_down": lambda c, cid, mid, a: c.conversations.rate(
        conversation_id=cid, message_id=mid, value="down"
    ),
    "request_human": lambda c, cid, mid, a: c.conversations.request_human(conversation_id=cid),
    "take_over": lambda c, cid, mid, a: c.handoffs.take_over(conversation_id=cid, agent=a),
    "send": lambda c, cid, mid, a: c.handoffs.send(conversation_id=cid, agent=a, text="Hi, Alice here."),
    "release": lambda c, cid, mid, a: c.handoffs.release(conversation_id=cid, agent=a),
    "resume_ai": lambda c, cid, mid, a: c.handoffs.resume_ai(conversation_id=cid, agent=a),
    "end": lambda c, cid, mid, a: c.conversations.end(conversation_id=cid),
    "dismiss": lambda c, cid, mid, a: c.handoffs.dismiss_flags(conversation_id=cid, agent=a),
}


def outcome(error: HandoffError | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, AISilenced):
        return "silenced"
    if isinstance(error, AlreadyClaimed):
        return "claimed"
    if isinstance(error, Conflict):
        return "conflict"
    return type(error).__name__


async def put_in_state(core: Core, state: str, alice: AgentRef, bob: AgentRef) -> tuple[str, int]:
    started = await core.conversations.start(service_slug="shop", text="Where is my order?")
    cid = started.conversation.id
    answer = await core.conversations.add_ai_message(conversation_id=cid, text="It ships tomorrow.")
    if state in ("mine", "released"):
        await core.handoffs.take_over(conversation_id=cid, agent=alice)
    if state == "other":
        await core.handoffs.take_over(conversation_id=cid, agent=bob)
    if state == "released":
        await core.handoffs.release(conversation_id=cid, agent=alice)
    if state == "ended":
        await core.conversations.end(conversation_id=cid)
    return cid, answer.id


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("mode", TABLE)
async def test_transition_table(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef, bob: AgentRef, mode: str
) -> None:
    table = TABLE[mode]
    cases = {
        (state, action): await put_in_state(core, state, alice, bob) for state in table for action in ACTIONS
    }
    await core.services.set_mode(slug=shop, mode=mode, agent=admin)

    wrong = []
    for (state, action), (cid, ai_message_id) in cases.items():
        error = None
        try:
            await ACTION_CALLS[action](core, cid, ai_message_id, alice)
        except HandoffError as raised:
            error = raised
        if outcome(error) != table[state][action]:
            wrong.append(
                f"{mode}/{state}/{action}: expected {table[state][action]}, got {outcome(error)} ({error})"
            )
    assert wrong == []


async def test_every_state_of_the_table_is_what_its_name_says(
    core: Core, shop: str, alice: AgentRef, bob: AgentRef
) -> None:
    expected = {
        "active": ("ai_active", None, True),
        "mine": ("paused", "Alice", True),
        "other": ("paused", "Bob", True),
        "released": ("paused", None, True),
        "ended": ("ai_active", None, False),
    }
    for state, (status, holder, active) in expected.items():
        cid, _ = await put_in_state(core, state, alice, bob)
        card = await core.conversations.get(cid)
        assert (card.status, card.claimed_by_name, card.active) == (status, holder, active), state
