"""The floor: the least any NiceGUI app can do. A page with one label; an API POST pushes a new value to it
through a NiceGUI Event. Run as a process by the benchmarks: `python bench/floor_app.py PORT [BOARD]`.

With BOARD (a file holding a console page's service sections, as bench.board_floor copies them), /board is the
same label on a page that also holds that board with the console's own stylesheet and script (its red cards
pulse as on the console), and changes the board itself at each push, in the browser, as a message changes
the console's board in the case its `case` query names: the least that case can cost a page."""

import sys
from pathlib import Path

from nicegui import Event, app, ui

bumped: Event[[int]] = Event()
state = {"count": 0}
STATIC = Path(__file__).resolve().parent.parent / "handoff_ui" / "static"

# At each new value of the label: what a message does to the console's board (bench.latency's CASES). The
# first card's count changes (one card); a card shown below the first moves to the front of its service, its
# count changed (spread); the last card shown becomes another conversation and moves to the front (entering).
CHANGE_BOARD = """<script>
document.addEventListener("DOMContentLoaded", () => {
  const change = new URLSearchParams(location.search).get("case");
  let pushes = 0;
  function apply() {
    pushes += 1;
    const grids = document.querySelectorAll("[data-testid^=service-] .grid");
    const grid = grids[pushes % grids.length];
    const cards = grid.querySelectorAll(":scope > .hf-card");
    const count = (card) => { card.querySelector(".hf-meta").textContent = "· " + pushes + " messages"; };
    if (change === "one card") count(cards[0]);
    if (change === "spread") {
      const card = cards[1 + Math.floor(Math.random() * (cards.length - 1))];
      count(card);
      grid.prepend(card);
    }
    if (change === "entering") {
      const card = cards[cards.length - 1];
      card.dataset.conversationId = "entering-" + pushes;
      card.querySelector(".hf-question").textContent = "Order " + pushes + " has not arrived, where is it?";
      count(card);
      grid.prepend(card);
    }
    window.boardChanges = pushes;  // the benchmark checks that every push changed the board
  }
  (function watch() {
    const label = document.querySelector("[data-testid=floor-label]");
    if (label === null) { setTimeout(watch, 20); return; }  // drawn by Vue after this runs
    new MutationObserver(apply).observe(label, { subtree: true, childList: true, characterData: true });
  })();
});
</script>"""


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


def board_page(board: str) -> None:
    app.add_static_files("/handoff-static", STATIC)

    @ui.page("/board")
    def with_board() -> None:
        ui.add_head_html(
            '<link rel="stylesheet" href="/handoff-static/console.css">'
            '<script src="/handoff-static/console.js"></script>'
        )
        ui.add_body_html(CHANGE_BOARD)
        label = ui.label(str(state["count"])).props("data-testid=floor-label")
        with ui.column().classes("w-full q-pa-md gap-4"):  # as the console's page holds its sections
            ui.html(board, sanitize=False).classes("w-full")  # the benchmark's own copy of a console page
        bumped.subscribe(lambda count: label.set_text(str(count)))


if len(sys.argv) > 2:
    board_page(Path(sys.argv[2]).read_text())
ui.run(port=int(sys.argv[1]), show=False, reload=False, show_welcome_message=False)
