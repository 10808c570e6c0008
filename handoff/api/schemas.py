"""Request bodies of the API and the shape of its errors. Responses are the views' `to_api()` dictionaries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr

from handoff.records import unstorable


def _storable(value: str) -> str:
    if (bad := unstorable(value)) is not None:
        raise ValueError(f"must not contain {bad}")
    return value


# Every string of a body: a string (no number taken for one), and one a database can keep (the schema can
# say "no NUL"; it cannot say "no lone surrogate half", which JSON's own rules exclude).
Str = Annotated[StrictStr, Field(pattern=r"^[^\x00]*$"), AfterValidator(_storable)]
# A message's text holds something besides spaces (the core refuses an empty one; the schema says so too).
Text = Annotated[Str, Field(min_length=1, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")]
ShortText = Field(default=None, max_length=200)
MAX_ID = 2**63 - 1  # the largest id either database keeps


class Problem(BaseModel):
    """Every refusal of the API: what was wrong, in words (or, for a body or parameter that doesn't fit the
    schema, FastAPI's list of what didn't)."""

    detail: str


ERRORS = {
    400: "the body is not JSON, or its Content-Length is not a number",
    401: "no valid conversation token or service API key",
    403: "the customer's identity is not signed though the service requires it, or the page's site is not "
    "among the service's allowed origins",
    404: "no such service, conversation or message",
    409: "the conversation's state doesn't allow this now",
    413: "the body is larger than the limit",
    408: "the body did not arrive within the time limit",
    429: "too many requests: try again later",
}


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """FastAPI's own answer to a body or parameter that doesn't fit the schema."""

    detail: list[ValidationIssue]


def error_responses() -> dict[int | str, dict[str, object]]:
    """The responses every API route may give besides its success, for its OpenAPI operation. 422 is either
    FastAPI's validation error or the core's refusal of a value (`{"detail": "..."}`)."""
    responses: dict[int | str, dict[str, object]] = {
        code: {"model": Problem, "description": words} for code, words in ERRORS.items()
    }
    responses[422] = {"model": Problem | ValidationProblem, "description": "a value breaks a rule"}
    return responses


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CustomerIn(_Body):
    name: Str | None = ShortText
    external_id: Str | None = ShortText
    signature: Str | None = Field(
        default=None,
        max_length=200,
        description="hex HMAC-SHA256 of external_id with the service's identity secret (its chat widget "
        "settings); required when the service requires signed identities",
    )


class LocationIn(_Body):
    city: Str | None = ShortText
    region: Str | None = ShortText
    country: Str | None = ShortText


class StartConversationIn(_Body):
    service: Str = Field(max_length=64)
    text: Text | None = None
    customer: CustomerIn | None = None
    location: LocationIn | None = None


class CustomerMessageIn(_Body):
    text: Text
    client_message_id: Str | None = Field(default=None, min_length=1, max_length=200)


class RatingIn(_Body):
    value: Literal["up", "down"]


class AIMessageIn(_Body):
    text: Text
    answered: StrictBool = True
    agent: Str | None = ShortText
