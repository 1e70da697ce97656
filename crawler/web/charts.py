"""Chart geometry for server-rendered SVG: numbers in, bars and axis labels out (the templates draw
them), so pages need no script and no front-end build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tip: str  # the bar's label and value, shown on hover


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    top: str  # the value the chart's full height stands for
    first: str  # the first and last labels, under the axis
    last: str
    empty: bool  # every value is zero or missing


def bar_chart(
    points: Sequence[tuple[str, float | None]],
    fmt=lambda v: f"{v:g}",
    top: float | None = None,
    width: int = 640,
    height: int = 120,
    widest: float = 48,
) -> Chart:
    """One bar per (label, value); a None value (not measured) draws no bar. The scale runs from 0 to
    `top` (default: the largest value), so equal heights mean equal values across charts of a kind.
    Bars are at most `widest` wide, centred in their slot."""
    values = [v for _, v in points if v is not None]
    scale = top if top is not None else max(values, default=0)
    slot = width / max(len(points), 1)
    gap = max(min(2.0, slot * 0.2), slot - widest)  # a few runs are a few bars, not one slab
    bars = []
    for index, (label, value) in enumerate(points):
        if value is None:
            continue
        tall = height * value / scale if scale else 0
        # A zero still gets a hairline, so "measured: none" differs from "not measured".
        tall = max(tall, 1.0)
        bars.append(Bar(index * slot + gap / 2, height - tall, slot - gap, tall, f"{label}: {fmt(value)}"))
    return Chart(
        width,
        height,
        bars,
        fmt(scale),
        points[0][0] if points else "",
        points[-1][0] if points else "",
        not any(values),
    )


def days(last: date, count: int) -> list[date]:
    """The `count` days ending with `last`, oldest first."""
    return [last - timedelta(days=offset) for offset in range(count - 1, -1, -1)]
