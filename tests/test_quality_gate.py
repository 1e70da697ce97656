"""The evaluation gate: extraction quality on the shared corpus stays at or above its floors."""

from __future__ import annotations

from bench.eval_gate import below_floor, floors
from bench.eval_quality import report


def test_extraction_quality_meets_pinned_floors():
    failures = below_floor(report(), floors())
    assert not failures, "quality dropped below the floors in bench/eval_baseline.json:\n" + "\n".join(
        failures
    )


def test_gate_reports_missing_and_low_metrics():
    scores = {"a": {"f1": 0.5}}
    assert below_floor(scores, {"a.f1": 0.4}) == []
    assert below_floor(scores, {"a.f1": 0.6, "b.f1": 0.1}) == [
        "a.f1: 0.5 < floor 0.6",
        "b.f1: None < floor 0.1",
    ]
