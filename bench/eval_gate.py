"""Evaluation gate: extraction quality on the shared corpus must not drop below pinned floors.

    python bench/eval_gate.py        # exit 1 when a score is below its floor

Floors live in bench/eval_baseline.json; the test suite runs the same check (tests/test_quality_gate.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_quality import report  # noqa: E402

BASELINE = Path(__file__).with_name("eval_baseline.json")


def floors() -> dict[str, float]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))["floors"]


def lookup(scores: dict, dotted: str) -> float | None:
    node = scores
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def below_floor(scores: dict, pinned: dict[str, float]) -> list[str]:
    """One line per metric that is missing or below its floor."""
    failures = []
    for metric, floor in pinned.items():
        value = lookup(scores, metric)
        if value is None or value < floor:
            failures.append(f"{metric}: {value} < floor {floor}")
    return failures


def main() -> None:
    failures = below_floor(report(), floors())
    for line in failures:
        print(f"eval gate: {line}", file=sys.stderr)
    print(f"eval gate: {len(floors()) - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
