"""A submit that carries what its fields hold in the browser at that moment.

Until a page's socket has shaken hands, NiceGUI holds each browser event on a timer of its own and sends them
in no fixed order: a browser's autofill, or a customer who types as the page opens, and a quick click or Enter
can reach the server as "click, then the field's value". A submit wired here reads the fields' values from its
own event, so it never depends on the fields' events having arrived first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments

_EMIT_VALUES = """() => {{
  const value = (id) => {{
    const element = document.getElementById(id);
    const field = "input, textarea";
    const input = element && (element.matches(field) ? element : element.querySelector(field));
    return input ? input.value : null;
  }};
  emit({{{fields}}});
}}"""


class Typed:
    """The values a submit carried, by field name; a field the event did not carry (the tests' simulated
    user sends none) falls back to its element's value on the server."""

    def __init__(self, args: Any, fields: dict[str, ui.input]) -> None:
        self._args = args if isinstance(args, dict) else {}
        self._fields = fields

    def __getitem__(self, name: str) -> str:
        value = self._args.get(name)
        return value if isinstance(value, str) else self._fields[name].value or ""


def on_submit(
    triggers: list[tuple[ui.element, str]],
    fields: dict[str, ui.input],
    handler: Callable[[Typed], Awaitable[None]],
) -> None:
    """Run `handler` on each (element, event) trigger, e.g. (button, "click") and (input, "keydown.enter"),
    with the fields' values as the browser had them."""
    values = ", ".join(f"{name}: value({element.html_id!r})" for name, element in fields.items())
    js_handler = _EMIT_VALUES.format(fields=values)

    async def submit(event: GenericEventArguments) -> None:
        await handler(Typed(event.args, fields))

    for element, event in triggers:
        element.on(event, submit, js_handler=js_handler)
