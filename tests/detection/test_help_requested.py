"""Help Requested on chat language it was not tuned on: requests, typos, and the look-alikes that are not."""

from __future__ import annotations

import pytest

from detection.base import MessageContext
from detection.help_requested import HelpRequested

DETECTOR = HelpRequested()

REQUESTS = [
    "Can I talk to a person please",
    "I want a real human",
    "get me an agent",
    "let me speak to a representative",
    "put me through to an operator",
    "I demand to speak to your manager!!",
    "escalate this please",
    "please escalate to your supervisor",
    "transfer me",
    "Transfer me to someone who knows what they're doing",
    "is there a human I can talk to?",
    "connect me with a live agent",
    "i need to speak with somebody from customer service",
    "this bot is useless, I want to talk to a human",
    "I don't want to talk to a bot",
    "can i tlak to a humna",  # typos
    "can i speak to an agnet",
    "I'd like to speak with a preson",
    "u r useless, gimme a real person",
    "Human please",  # short, but still a request
    "AGENT",
    "yo can a real human take this one",  # chat register and indirect requests
    "hook me up with an actual rep",
    "can a person look at this instead of the bot?",
    "could a member of staff help me with this?",
    "i wanna talk 2 a person",
    "useless bot, give me an agent",
    "is anyone there who can help?",
    "I would like to be connected with a customer service representative.",
]
NOT_REQUESTS = [
    "no need for a human, you answered it",
    "I don't need to speak to anyone, thanks",
    "I don't want to talk to a human, just tell me the price",
    "my travel agent booked the wrong date",
    "the desktop agent app keeps crashing",
    "how do I install the agent on my server?",
    "I spoke to a person yesterday and they said it was fixed",
    "I talked to an agent last week about this",
    "can you ask an agent how to change my password?",
    "ask an agent if I can get a refund",
    "am I talking to a real person?",
    "are you a human?",
    "my real estate agent needs the invoice",
    "the person at the door left the parcel",
    "thanks, that helped a lot",
    "where is my order?",
    "Someone stole my card",
    "My manager asked me to get an invoice",
    "my insurance agent sent me",
    "real leather or not?",
    "the bot answered well, thanks",
    "can you connect my account to Slack",
    "no need for anyone, I found it",
    "can a person other than me pick up the parcel?",
    "I need my agent number for the form",
    "give me a discount code",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_requests_for_a_human_fire(text: str) -> None:
    finding = DETECTOR.detect(MessageContext(role="user", text=text))
    assert finding is not None and finding.kind == "help_requested"
    assert text in finding.reason
    assert finding.rule.startswith("asks for a person: ")


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_look_alikes_do_not_fire(text: str) -> None:
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is None
