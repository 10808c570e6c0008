"""Measure a detector on a labelled CSV (`text,label[,category]`, 1 = should fire), as the server runs it.

    python -m detection.evaluate --detector help_requested --input FILE.csv [--part tune|holdout|all]
        [--errors N] [--explain] [--by-category]

Prints the figures and, last, one JSON line. `--part` picks the rows tuned on (index mod 5 != 0), the
held-out fifth (index mod 5 == 0) or all rows (the default); our own sets in `tests/detection/sets/` come
as separate tune and held-out files instead. `--errors N` lists N misses of each kind; `--explain` lists
every row with what the detector made of it (the rule or signals that fired, or why it stayed quiet);
`--by-category` breaks the figures down by the `category` column.

Rows recorded from the console ("Not needed" on a flag) are exported in this format by
`main.py detection export-false-alarms`, so they can be measured and added to a set.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from detection.base import Detector, Finding, MessageContext, Role
from detection.defaults import detector_named

PARTS: dict[str, Callable[[int], bool]] = {
    "all": lambda index: True,
    "tune": lambda index: index % 5 != 0,
    "holdout": lambda index: index % 5 == 0,
}
DETECTORS = ("help_requested", "negative_feedback", "non_answer")


class Row(NamedTuple):
    text: str
    label: bool
    category: str = ""


class Outcome(NamedTuple):
    row: Row
    finding: Finding | None
    microseconds: float  # the detector's time on this row


def read_rows(path: Path, part: str = "all", *, category: str | None = None) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            Row(row["text"], row["label"].strip() == "1", (row.get("category") or "").strip())
            for row in csv.DictReader(handle)
        ]
    keep = PARTS[part]
    return [
        row
        for index, row in enumerate(rows)
        if keep(index) and (category is None or row.category == category)
    ]


def role_of(detector: Detector) -> Role:
    """The role of the messages the detector reads (the AI's replies, or the customer's messages)."""
    return "ai" if "ai" in detector.roles else "user"


def run(detector: Detector, rows: Sequence[Row]) -> list[Outcome]:
    """Every row with the detector's finding (or None) and its time, one message at a time (as served)."""
    role = role_of(detector)
    outcomes = []
    for row in rows:
        started = time.perf_counter()
        finding = detector.detect(MessageContext(role=role, text=row.text))
        outcomes.append(Outcome(row, finding, (time.perf_counter() - started) * 1e6))
    return outcomes


def scores(labels: Sequence[bool], fired: Sequence[bool]) -> dict[str, float]:
    """n, how many fired, precision, recall and F1 of predictions `fired` against `labels`."""
    true_positive = sum(1 for label, hit in zip(labels, fired, strict=True) if hit and label)
    false_positive = sum(fired) - true_positive
    false_negative = sum(labels) - true_positive
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(labels),
        "fired": sum(fired),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def figures_of(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """The scores of the outcomes and the detector's time on them."""
    figures = scores([o.row.label for o in outcomes], [o.finding is not None for o in outcomes])
    seconds = sum(outcome.microseconds for outcome in outcomes) / 1e6
    figures["seconds"] = round(seconds, 4)
    figures["microseconds_per_message"] = round(seconds / max(len(outcomes), 1) * 1e6, 1)
    return figures


def evaluate(detector: Detector, rows: Sequence[Row]) -> tuple[dict[str, float], list[str], list[str]]:
    """The figures, the texts it fired on wrongly and the texts it missed."""
    outcomes = run(detector, rows)
    false_positives = [o.row.text for o in outcomes if o.finding is not None and not o.row.label]
    false_negatives = [o.row.text for o in outcomes if o.finding is None and o.row.label]
    return figures_of(outcomes), false_positives, false_negatives


def explanation(detector: Detector, outcome: Outcome) -> str:
    """What the detector made of one row: the rule that fired, or (where it can say) why it stayed quiet."""
    if outcome.finding is not None:
        return f"fired: {outcome.finding.rule or outcome.finding.reason}"
    explain = getattr(detector, "explain", None)
    if explain is not None:
        score = explain(outcome.row.text)
        return f"quiet ({score.value:+.2f}): {score.rule}"
    return "quiet"


def by_category(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    categories = sorted({outcome.row.category for outcome in outcomes})
    return {
        category or "-": figures_of([outcome for outcome in outcomes if outcome.row.category == category])
        for category in categories
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detection.evaluate")
    parser.add_argument("--detector", required=True, choices=DETECTORS)
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--part", default="all", choices=list(PARTS))
    parser.add_argument("--errors", type=int, default=0, help="show this many misses of each kind")
    parser.add_argument("--explain", action="store_true", help="show what the detector made of every row")
    parser.add_argument("--by-category", action="store_true", help="figures for each value of `category`")
    args = parser.parse_args(argv)
    detector = detector_named(args.detector)
    rows = read_rows(args.input, args.part)
    outcomes = run(detector, rows)
    figures = figures_of(outcomes)
    if args.explain:
        for outcome in outcomes:
            verdict = "WRONG" if (outcome.finding is not None) != outcome.row.label else "ok  "
            print(
                f"{verdict} label={int(outcome.row.label)} {explanation(detector, outcome)} | "
                f"{outcome.row.text[:200]!r}"
            )
    wrong = [outcome for outcome in outcomes if (outcome.finding is not None) != outcome.row.label]
    for title, should_fire in (("fired wrongly", False), ("missed", True)):
        for outcome in [o for o in wrong if o.row.label == should_fire][: args.errors]:
            print(f"{title}: {outcome.row.text[:200]!r} ({explanation(detector, outcome)})")
    categories = by_category(outcomes) if args.by_category else None
    if categories:
        for category, numbers in categories.items():
            print(f"  {category}: fired on {numbers['fired']} of {numbers['n']}")
    print(
        f"{args.detector} on {args.input.name} ({args.part}): n={figures['n']} "
        f"precision={figures['precision']} recall={figures['recall']} f1={figures['f1']} "
        f"({figures['microseconds_per_message']} µs/message)"
    )
    result: dict[str, object] = {"detector": args.detector, **figures, "part": args.part}
    if categories:
        result["by_category"] = categories
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
