"""Events on the wire between processes: one explicit, versioned JSON format (never pickle).

A frame is `{"v": 1, "origin": "<process id>", "type": "<event class name>", "event": {...fields}}`. Its
fields are the event dataclass's own, validated back into it by pydantic on the way in, so a frame that does
not fit its type is refused as a whole rather than half-read. A frame of another version or of a type this
process does not know (a newer process during a rolling upgrade) is refused too: the receiver logs it and
resyncs from the database instead of guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from handoff import events as events_module
from handoff.events import Event

VERSION = 1


class BadFrame(ValueError):
    """A frame this process can't read: its reason says why."""


@dataclass(frozen=True, slots=True)
class Frame:
    origin: str
    event: Event


def _event_types() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    pending: list[type[Event]] = [Event]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass.__module__ == events_module.__name__:
                found[subclass.__name__] = subclass
            pending.append(subclass)
    return found


class WireFormat:
    """Encodes and decodes every event type of `handoff.events` that is not `local_only`."""

    def __init__(self) -> None:
        self._types = {name: kind for name, kind in _event_types().items() if not kind.local_only}
        self._adapters: dict[type[Event], TypeAdapter[Any]] = {
            kind: TypeAdapter(kind) for kind in self._types.values()
        }

    def carries(self, event: Event) -> bool:
        """Whether this event goes to other processes (local-only events never leave the process)."""
        return type(event) in self._adapters

    def encode(self, event: Event, origin: str) -> bytes:
        adapter = self._adapters.get(type(event))
        if adapter is None:
            raise BadFrame(f"{type(event).__name__} is not carried between processes")
        fields = adapter.dump_python(event, mode="json")
        frame = {"v": VERSION, "origin": origin, "type": type(event).__name__, "event": fields}
        return json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()

    def decode(self, data: bytes | str) -> Frame:
        try:
            frame = json.loads(data)
        except ValueError as error:
            raise BadFrame(f"not JSON: {error}") from None
        if not isinstance(frame, dict):
            raise BadFrame("not a JSON object")
        if frame.get("v") != VERSION:
            raise BadFrame(f"wire version {frame.get('v')!r}, this process reads {VERSION}")
        origin, name = frame.get("origin"), frame.get("type")
        if not isinstance(origin, str) or not isinstance(name, str):
            raise BadFrame("no origin or type")
        kind = self._types.get(name)
        if kind is None:
            raise BadFrame(f"unknown event type {name!r}")
        try:
            event = self._adapters[kind].validate_python(frame.get("event"))
        except ValidationError as error:
            raise BadFrame(f"{name}: {error.error_count()} bad fields: {error.errors()[0]['msg']}") from None
        return Frame(origin=origin, event=event)
