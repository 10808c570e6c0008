"""The text detectors: their figures on every labelled set, and the time they take per message.

    .venv/bin/python -m bench.detection      (or: make bench-detection)

For each detector, on our own sets of natural support chat (tests/detection/sets, tuning and held-out
parts) and on the public sets where this machine has them (../shared/benchmarks/detection, their tuned
and held-out fifths): precision, recall, F1, and for Negative Feedback how often it fires on the routine
Bitext requests. Time per message is measured one message at a time (p50, p99, max), as the server runs
each detector on each message. Ends with one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from detection.defaults import detector_named
from detection.evaluate import DETECTORS, Row, figures_of, read_rows, run

ROOT = Path(__file__).resolve().parents[1]
OWN = ROOT / "tests" / "detection" / "sets"
PUBLIC = Path(
    os.environ.get("HANDOFF_DETECTION_BENCHMARKS", ROOT.parent / "shared" / "benchmarks" / "detection")
)
PUBLIC_SETS = {
    "help_requested": ("help_requested_bitext.csv", "help_requested_rasa.csv"),
    "negative_feedback": ("negative_feedback_airline.csv",),
    "non_answer": ("non_answer_xstest.csv",),
}


def timed(name: str, rows: list[Row]) -> tuple[dict[str, float], list[float]]:
    outcomes = run(detector_named(name), rows)
    return figures_of(outcomes), [outcome.microseconds for outcome in outcomes]


def main() -> None:
    result: dict[str, object] = {"benchmark": "detection"}
    for name in DETECTORS:
        all_times: list[float] = []
        parts: list[tuple[str, list[Row]]] = [
            (f"own {part}", read_rows(OWN / f"{name}_{part}.csv")) for part in ("tune", "holdout")
        ]
        for file in PUBLIC_SETS[name]:
            if (PUBLIC / file).exists():
                parts += [(f"{file} {part}", read_rows(PUBLIC / file, part)) for part in ("tune", "holdout")]
        if name == "negative_feedback" and (PUBLIC / "help_requested_bitext.csv").exists():
            routine = [row for row in read_rows(PUBLIC / "help_requested_bitext.csv") if not row.label]
            figures, times = timed(name, routine)
            all_times += times
            rate = round(figures["fired"] / len(routine) * 100, 1)
            result[f"{name} routine bitext fire %"] = rate
            print(f"{name}: fires on {figures['fired']} of {len(routine)} routine Bitext requests ({rate}%)")
        for title, rows in parts:
            figures, times = timed(name, rows)
            all_times += times
            result[f"{name} {title}"] = figures
            print(
                f"{name} {title}: n={figures['n']} P {figures['precision']} R {figures['recall']} "
                f"F1 {figures['f1']}",
                flush=True,
            )
        ordered = sorted(all_times)
        timing = {
            "p50_us": round(statistics.median(ordered), 1),
            "p99_us": round(ordered[int(len(ordered) * 0.99)], 1),
            "max_us": round(ordered[-1], 1),
            "messages": len(ordered),
        }
        result[f"{name} time"] = timing
        print(
            f"{name} time per message: p50 {timing['p50_us']} µs, p99 {timing['p99_us']} µs, max "
            f"{timing['max_us']} µs over {timing['messages']} messages"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
