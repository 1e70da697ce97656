"""Peak memory of one crawl of all the shipped outlets, process tree included.

    python bench/crawl_memory.py [--repo DIR] [--rounds 3]

Serves the fixture copies of the eleven shipped outlets (tests/sites.py) on loopback, runs
`newsarchive crawl` of every outlet in the shipped registry into a fresh SQLite archive, and
samples every 20 ms the resident memory of the crawl and all its descendants (the extraction
workers, the multiprocessing resource tracker), summed from /proc. `--repo` runs another checkout's
crawler against the same sites, to measure before and after a change. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.devsite.loopback import loopback_settings, setting_arguments  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> tuple[int, int]:
    """Resident bytes of `root` and its descendants, and how many processes that is."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total, len(tree)


def one_crawl(repo: Path, port: int, scratch: Path) -> dict:
    handler = "crawler.devsite.loopback" if (repo / "crawler" / "devsite").exists() else "crawler.loopback"
    settings = loopback_settings(port) | {
        "DOWNLOAD_HANDLERS": {"http": f"{handler}.LoopbackHandler", "https": f"{handler}.LoopbackHandler"}
    }
    database = scratch / f"crawl-{time.monotonic_ns()}.db"
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--db", f"sqlite:///{database}"]
    started = time.monotonic()
    crawl = subprocess.Popen(
        [*command, *setting_arguments(settings)],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    peak, processes = 0, 0
    while crawl.poll() is None:
        rss, count = tree_rss(crawl.pid)
        peak, processes = max(peak, rss), max(processes, count)
        time.sleep(0.02)
    return {
        "peak_mb": round(peak / 2**20),
        "processes": processes,
        "seconds": round(time.monotonic() - started, 1),
        "exit": crawl.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose crawler runs")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "requests.jsonl"
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.mockserver", str(log)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            port = int(server.stdout.readline())  # type: ignore[union-attr]
            rounds = [one_crawl(args.repo.resolve(), port, Path(scratch)) for _ in range(args.rounds)]
        finally:
            server.terminate()
            server.wait()
    print(
        json.dumps(
            {
                "repo": str(args.repo),
                "rounds": rounds,
                "median_peak_mb": statistics.median(r["peak_mb"] for r in rounds),
            }
        )
    )


if __name__ == "__main__":
    main()
