"""Request bodies of the API. Responses are the views' `to_api()` dictionaries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

Text = StrictStr
ShortText = Field(default=None, max_length=200)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CustomerIn(_Body):
    name: StrictStr | None = ShortText
    external_id: StrictStr | None = ShortText


class LocationIn(_Body):
    city: StrictStr | None = ShortText
    region: StrictStr | None = ShortText
    country: StrictStr | None = ShortText


class StartConversationIn(_Body):
    service: StrictStr = Field(max_length=64)
    text: Text | None = None
    customer: CustomerIn | None = None
    location: LocationIn | None = None


class CustomerMessageIn(_Body):
    text: Text
    client_message_id: StrictStr | None = Field(default=None, min_length=1, max_length=200)


class RatingIn(_Body):
    value: Literal["up", "down"]


class AIMessageIn(_Body):
    text: Text
    answered: StrictBool = True
    agent: StrictStr | None = ShortText
