"""The remembered `expects_arguments`: the same answers as NiceGUI's, worked out once per function."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from nicegui import helpers

from handoff_ui.speedups import remember_handler_signatures


class Handlers:
    def takes_event(self, event: Any) -> None: ...
    def takes_nothing(self) -> None: ...
    def takes_optional(self, event: Any = None) -> None: ...


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """NiceGUI's own function, counting its calls, with the remembering one installed over it."""
    calls: list[object] = []
    original = helpers.expects_arguments

    def counting(func: Any) -> bool:
        calls.append(func)
        return original(func)

    monkeypatch.setattr(helpers, "expects_arguments", counting)
    remember_handler_signatures()
    yield calls


def test_answers_are_nicegui_s_and_each_method_is_worked_out_once(counted: list[object]) -> None:
    first, second = Handlers(), Handlers()
    for _ in range(3):
        assert helpers.expects_arguments(first.takes_event) is True
        assert helpers.expects_arguments(second.takes_event) is True
        assert helpers.expects_arguments(first.takes_nothing) is False
        assert helpers.expects_arguments(second.takes_optional) is False
    assert len(counted) == 3  # one per method, whatever the instance and however often


def test_other_callables_are_asked_every_time(counted: list[object]) -> None:
    def plain(event: Any) -> None: ...

    later = functools.partial(plain)
    answers = [helpers.expects_arguments(f) for f in (plain, plain, later, lambda: None)]
    assert answers == [True, True, True, False]
    assert len(counted) == 4


def test_installing_twice_keeps_one_layer(counted: list[object]) -> None:
    installed = helpers.expects_arguments
    remember_handler_signatures()
    assert helpers.expects_arguments is installed
