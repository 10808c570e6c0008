"""Settings forms: edits tracked against what was saved, "Save" enabled only with changes, errors shown at
their field, and the unsaved-changes guard ("You have unsaved changes", "Stay" / "Leave")."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement
from nicegui.elements.mixins.value_element import ValueElement

from handoff.errors import HandoffError
from handoff_ui.session import safe_next

UNSAVED = "You have unsaved changes"
Field = TypeVar("Field", bound=ValueElement[Any])


class UnsavedGuard:
    """One per settings page. Fields are tracked against their saved values; `watch` adds any other check
    (a list being edited). While something differs, leaving the page asks first."""

    def __init__(self) -> None:
        self._fields: dict[ValueElement[Any], Any] = {}
        self._checks: list[Callable[[], bool]] = []
        self._buttons: list[ui.button] = []
        self._errors: dict[str, ValidationElement[Any]] = {}
        self.dirty = False
        self._leaving_to = ""
        with ui.dialog() as self._dialog, ui.card().props("data-testid=unsaved-changes"):
            ui.label(UNSAVED).classes("text-h6")
            ui.label("Leave this page and lose them?")
            with ui.row().classes("w-full justify-end"):
                ui.button("Stay", on_click=self._dialog.close).props("flat no-caps")
                ui.button("Leave", on_click=self._leave).props("no-caps color=negative")
        ui.on("handoff_leave", lambda event: self.ask(str(event.args)))

    def track(self, element: Field, *, field: str | None = None) -> Field:
        """Compare `element` with its value now; `field` names it for the core's errors (`Invalid.field`)."""
        self._fields[element] = element.value
        element.on_value_change(lambda _: self.refresh())
        if field is not None and isinstance(element, ValidationElement):
            self._errors[field] = element
            element.on_value_change(lambda _: setattr(element, "error", None))
        return element

    def watch(self, is_changed: Callable[[], bool]) -> None:
        self._checks.append(is_changed)

    def save_button(self, button: ui.button) -> ui.button:
        """A button enabled only while there are changes."""
        self._buttons.append(button)
        button.set_enabled(self.dirty)
        return button

    def saved(self) -> None:
        """What the fields hold now is what is saved."""
        for element in self._fields:
            self._fields[element] = element.value
        self.refresh()

    def reset(self, element: ValueElement[Any], value: Any) -> None:
        """Show a value saved elsewhere (another admin) as the field's saved value."""
        self._fields[element] = value
        element.set_value(value)

    def refresh(self) -> None:
        dirty = any(e.value != saved for e, saved in self._fields.items()) or any(c() for c in self._checks)
        for button in self._buttons:
            button.set_enabled(dirty)
        if dirty != self.dirty:
            self.dirty = dirty
            ui.run_javascript(f"window.handoffGuard.set({json.dumps(dirty)})")

    def show_error(self, error: HandoffError) -> None:
        """The core's refusal beside its field, or as a notice when it names none shown here."""
        element = self._errors.get(error.field or "")
        if element is not None:
            element.error = sentence(str(error))
        else:
            ui.notify(sentence(str(error)), type="warning")

    def ask(self, path: str) -> None:
        """Leaving for `path`: straight away without changes, else after the dialog's "Leave"."""
        path = safe_next(path)
        if not self.dirty:
            ui.navigate.to(path)
            return
        self._leaving_to = path
        self._dialog.open()

    def _leave(self) -> None:
        self._dialog.close()
        self.dirty = False
        path = json.dumps(self._leaving_to)
        ui.run_javascript(f"window.handoffGuard.set(false); window.location.href = {path}")


def sentence(message: str) -> str:
    """A core message ("a name is needed") as a sentence on screen ("A name is needed.")."""
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")
