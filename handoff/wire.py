"""Events on the wire between processes: one explicit, versioned format (never pickle).

A frame is one Redis stream entry with four fields: `v` (the format's version, "1"), `origin` (the process
that made it), `type` (the event's class name) and `event` (the event dataclass's fields as JSON). The
fields are validated back into the dataclass by pydantic on the way in, so a frame that does not fit its type
is refused as a whole rather than half-read. A frame of another version or of a type this process does not
know (a newer process during a rolling upgrade) is refused too: the receiver logs it and resyncs from the
database instead of guessing. A process reads a frame's origin first and skips its own without decoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from handoff import events as events_module
from handoff.events import Event

VERSION = 1
VERSION_TEXT = str(VERSION).encode()


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

    def encode(self, event: Event, origin: str) -> dict[str, bytes]:
        adapter = self._adapters.get(type(event))
        if adapter is None:
            raise BadFrame(f"{type(event).__name__} is not carried between processes")
        return {
            "v": VERSION_TEXT,
            "origin": origin.encode(),
            "type": type(event).__name__.encode(),
            "event": adapter.dump_json(event),
        }

    @staticmethod
    def origin_of(frame: Mapping[bytes, bytes]) -> str | None:
        origin = frame.get(b"origin")
        return origin.decode(errors="replace") if isinstance(origin, bytes) else None

    def decode(self, frame: Mapping[bytes, bytes]) -> Frame:
        version = frame.get(b"v")
        if version != VERSION_TEXT:
            raise BadFrame(f"wire version {version!r}, this process reads {VERSION}")
        origin, name = self.origin_of(frame), frame.get(b"type", b"").decode(errors="replace")
        if not origin or not name:
            raise BadFrame("no origin or type")
        kind = self._types.get(name)
        if kind is None:
            raise BadFrame(f"unknown event type {name!r}")
        try:
            event = self._adapters[kind].validate_json(frame.get(b"event", b""))
        except ValidationError as error:
            raise BadFrame(f"{name}: {error.error_count()} bad fields: {error.errors()[0]['msg']}") from None
        return Frame(origin=origin, event=event)
