"""`newsarchive health`: each outlet's recent runs side by side, and the drift that says its layout
or its sources changed (dates or authors no longer found, texts shrunk, nothing new, a source gone)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CrawlRun, CrawlRunOutlet, Outlet, OutletStatus

# A share of articles missing a field this much above the outlet's usual share is drift.
JUMP = 0.3
# Runs in a row without a new article, after runs that had some, before that is flagged.
QUIET_RUNS = 3


@dataclass(frozen=True)
class RunHealth:
    run_id: int
    started_at: datetime
    status: str
    articles_new: int
    health: dict[str, Any]


def history(session: Session, slug: str, runs: int) -> list[RunHealth]:
    """The outlet's last `runs` finished parts of crawl runs, oldest first."""
    rows = session.execute(
        select(CrawlRunOutlet, CrawlRun.started_at)
        .join(CrawlRun, CrawlRun.id == CrawlRunOutlet.run_id)
        .join(Outlet, Outlet.id == CrawlRunOutlet.outlet_id)
        .where(Outlet.slug == slug, CrawlRunOutlet.status != OutletStatus.RUNNING)
        .order_by(CrawlRunOutlet.run_id.desc())
        .limit(runs)
    ).all()
    return [
        RunHealth(part.run_id, started, part.status, part.articles_new, part.health or {})
        for part, started in reversed(rows)
    ]


def drift(runs: list[RunHealth]) -> list[str]:
    """What the latest run says has changed, against the outlet's earlier runs."""
    if not runs:
        return []
    latest, earlier = runs[-1], runs[:-1]
    flags = []
    if latest.status == OutletStatus.UNREACHABLE:  # nothing to compare: say so, not "steady"
        flags.append("the last run could not reach the outlet")
    now = latest.health
    before = [r.health for r in earlier if r.health.get("articles")]
    if now.get("articles") and before:
        for field, what in (("missing_date", "a date"), ("missing_author", "an author")):
            usual = _median(h.get(field) for h in before)
            if usual is not None and now.get(field) is not None and now[field] - usual >= JUMP:
                flags.append(f"articles lacking {what} jumped from {usual:.0%} to {now[field]:.0%}")
        usual_words = _median(h.get("median_words") for h in before)
        if usual_words and now.get("median_words") is not None and now["median_words"] <= usual_words / 2:
            flags.append(f"median words fell from {usual_words:g} to {now['median_words']:g}")
    quiet = 0
    for run in reversed(runs):
        if run.articles_new:
            break
        quiet += 1
    if quiet >= QUIET_RUNS and quiet < len(runs):
        flags.append(f"no new articles in the last {quiet} runs")
    if now.get("gone_sources"):
        flags.append(f"sources answering 404/410: {', '.join(now['gone_sources'])}")
    return flags


def _median(values) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None
