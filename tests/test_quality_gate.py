"""The evaluation gate: extraction quality on the shared corpus stays at or above its floors."""

from __future__ import annotations

from bench.eval_gate import against_plain, below_floor, below_plain, floors
from bench.eval_quality import report


def test_extraction_quality_meets_pinned_floors_and_never_falls_below_plain_trafilatura():
    scores = report()
    failures = below_floor(scores, floors()) + below_plain(scores, against_plain())
    assert not failures, "quality dropped below bench/eval_baseline.json:\n" + "\n".join(failures)


def test_a_loss_or_a_tie_made_of_losses_against_plain_trafilatura_fails():
    def scored(ours: float, plain: float, worse: int) -> dict:
        return {
            "s": {
                "ours": {"en": {"f1_exact": ours}},
                "trafilatura": {"en": {"f1_exact": plain}},
                "pages": {"en": {"differs": 2, "better": 1 if worse else 0, "worse": worse}},
            }
        }

    rule = {"sets": ["s"], "known_conflicts": {}}
    assert below_plain(scored(0.91, 0.90, 1), rule) == []
    assert below_plain(scored(0.90, 0.90, 0), rule) == []
    assert below_plain(scored(0.89, 0.90, 1), rule) == ["s.en: F1 0.8900 < plain trafilatura 0.9000"]
    assert below_plain(scored(0.90, 0.90, 1), rule) == [
        "s.en: ties plain trafilatura (0.9000) with 1 page(s) worse"
    ]
    assert below_plain(scored(0.89, 0.90, 1), {"sets": ["s"], "known_conflicts": {"s.en": "why"}}) == []


def test_gate_reports_missing_and_low_metrics():
    scores = {"a": {"f1": 0.5}}
    assert below_floor(scores, {"a.f1": 0.4}) == []
    assert below_floor(scores, {"a.f1": 0.6, "b.f1": 0.1}) == [
        "a.f1: 0.5 < floor 0.6",
        "b.f1: None < floor 0.1",
    ]
