"""Measure a detector on a labelled CSV (`text,label`, 1 = should fire), exactly as the server runs it.

    python -m detection.evaluate --detector help_requested --input FILE.csv [--part tune|holdout|all]

Prints the figures and, last, one JSON line. `--part` picks the rows tuned on (index mod 5 != 0), the
held-out fifth (index mod 5 == 0) or all rows (the default). `--errors N` lists N misses of each kind.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from detection.base import Detector, MessageContext, Role
from detection.defaults import detector_named

PARTS: dict[str, Callable[[int], bool]] = {
    "all": lambda index: True,
    "tune": lambda index: index % 5 != 0,
    "holdout": lambda index: index % 5 == 0,
}


def read_rows(path: Path, part: str) -> list[tuple[str, bool]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [(row["text"], row["label"].strip() == "1") for row in csv.DictReader(handle)]
    keep = PARTS[part]
    return [row for index, row in enumerate(rows) if keep(index)]


def evaluate(
    detector: Detector, rows: Sequence[tuple[str, bool]]
) -> tuple[dict[str, float], list[str], list[str]]:
    role: Role = "ai" if "ai" in detector.roles else "user"
    true_positive = false_positive = false_negative = 0
    false_positives: list[str] = []
    false_negatives: list[str] = []
    started = time.perf_counter()
    predictions = [detector.detect(MessageContext(role=role, text=text)) is not None for text, _ in rows]
    seconds = time.perf_counter() - started
    for (text, label), fired in zip(rows, predictions, strict=True):
        if fired and label:
            true_positive += 1
        elif fired:
            false_positive += 1
            false_positives.append(text)
        elif label:
            false_negative += 1
            false_negatives.append(text)
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    figures = {
        "n": len(rows),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds": round(seconds, 4),
        "microseconds_per_message": round(seconds / max(len(rows), 1) * 1e6, 1),
    }
    return figures, false_positives, false_negatives


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detection.evaluate")
    parser.add_argument(
        "--detector", required=True, choices=["help_requested", "negative_feedback", "non_answer"]
    )
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--part", default="all", choices=list(PARTS))
    parser.add_argument("--errors", type=int, default=0, help="show this many misses of each kind")
    args = parser.parse_args(argv)
    detector = detector_named(args.detector)
    figures, false_positives, false_negatives = evaluate(detector, read_rows(args.input, args.part))
    for title, texts in (("fired wrongly", false_positives), ("missed", false_negatives)):
        for text in texts[: args.errors]:
            print(f"{title}: {text[:200]!r}")
    print(
        f"{args.detector} on {args.input.name} ({args.part}): n={figures['n']} "
        f"precision={figures['precision']} recall={figures['recall']} f1={figures['f1']} "
        f"({figures['microseconds_per_message']} µs/message)"
    )
    print(json.dumps({"detector": args.detector, **figures, "part": args.part}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
