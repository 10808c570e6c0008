"""Non-Answer on support-bot replies: the ones that fail to answer, and real answers that only sound sorry."""

from __future__ import annotations

import pytest

from detection.base import MessageContext
from detection.non_answer import NonAnswer

DETECTOR = NonAnswer()

NON_ANSWERS = [
    "I don't have information about that.",
    "Sorry, I don't have any details on that order.",
    "I'm sorry, but I can't help with that.",
    "I can't help with that request.",
    "Could you rephrase your question?",
    "I didn't understand your question. Could you try asking it another way?",
    "I'm not sure about that one.",
    "Unfortunately I am unable to answer that.",
    "I don't know.",
    "That's beyond what I can do here.",
    "I’m not able to assist with refunds.",  # typographic apostrophe
    "I wasn't able to find that in our docs.",  # what support bots say when they don't know
    "That's not something I can look up for you.",
    "I can only help with billing questions.",
    "I missed what you said. What was that?",  # Dialogflow's default fallback
    "Sorry, I didn't get that 🤷. Could you please rephrase?",  # Rasa's
    "I'm sorry, I'm not sure how to help with that. Can you try rephrasing?",  # Copilot Studio's
    "The documents I have access to don't cover that.",
]
ANSWERS = [
    "Unfortunately we don't ship to Antarctica, but we ship to all EU countries.",
    "Sorry for the wait! Your order ships tomorrow.",
    "You can't return opened software, but unopened items can be returned within 30 days.",
    "Our store can't accept cheques; we take cards and PayPal.",
    "Restart the router and wait until the light turns green.",
    "I'm sorry to hear that. Here's how to reset your password: open Settings, then Security.",
    "I can't see your card number for security reasons, but you can update it under Billing.",
    "The app doesn't support Windows XP. It runs on Windows 10 and later.",
    "I couldn't find an order under that email, but there is one under your phone number: it ships Tuesday.",
    "I can only recommend the original charger, the others may damage the battery.",
    "I don't know your exact address, so please check it in Account > Addresses before ordering.",
    "I didn't find any other charges on your card besides the one on March 3.",
]


@pytest.mark.parametrize("text", NON_ANSWERS)
def test_replies_that_do_not_answer_fire(text: str) -> None:
    finding = DETECTOR.detect(MessageContext(role="ai", text=text))
    assert finding is not None and finding.kind == "non_answer"
    assert text in finding.reason
    assert finding.rule.startswith("the AI says it cannot answer: ")


@pytest.mark.parametrize("text", ANSWERS)
def test_real_answers_do_not_fire(text: str) -> None:
    assert DETECTOR.detect(MessageContext(role="ai", text=text)) is None
