"""The floor: the least any NiceGUI app can do. A page with one label; an API POST pushes a new value to it
through a NiceGUI Event. Run as a process by the benchmarks: `python bench/floor_app.py PORT`."""

import sys

from nicegui import Event, app, ui

bumped: Event[[int]] = Event()
state = {"count": 0}


@app.post("/bump")
def bump() -> dict[str, int]:
    state["count"] += 1
    bumped.emit(state["count"])
    return {"count": state["count"]}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@ui.page("/")
def index() -> None:
    label = ui.label(str(state["count"])).props("data-testid=floor-label")
    bumped.subscribe(lambda count: label.set_text(str(count)))


ui.run(port=int(sys.argv[1]), show=False, reload=False, show_welcome_message=False)
