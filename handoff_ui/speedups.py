"""One NiceGUI cost the console's pages pay per element, remembered instead of recomputed.

NiceGUI 3.18 asks `helpers.expects_arguments(handler)` (which runs `inspect.signature`) three times for
every element it creates: its props, classes and style each ask it of their change handler, a bound method of
the element. Upstream (zauberzeug/nicegui#6108) made it once per collection instead of once per change; it is
still three times per element. Building /handoff (32 cards) spent about 60% of the server's time there
(py-spy: 248 of 401 samples). The answer depends on the function alone, so it is kept per function: for a
bound method, its function (every element's `_update` shares one). Anything else is asked as before.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any


def remember_handler_signatures() -> None:
    """Install the remembering `expects_arguments` into NiceGUI (once; called by handoff_ui.install)."""
    from nicegui import helpers

    original: Callable[[Callable[..., Any]], bool] = helpers.expects_arguments
    if getattr(original, "remembers", False):
        return
    known: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()

    def expects_arguments(func: Callable[..., Any]) -> bool:
        function = getattr(func, "__func__", None)  # a bound method: the same answer for every instance
        if function is None:
            return original(func)
        answer = known.get(function)
        if answer is None:
            answer = known[function] = original(func)
        return answer

    expects_arguments.remembers = True  # type: ignore[attr-defined]
    helpers.expects_arguments = expects_arguments
