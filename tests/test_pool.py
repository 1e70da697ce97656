"""The one extraction pool per process (crawler/pool.py): shared, sized once, replaced when a worker dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

from crawler import pool
from crawler.config import load_settings
from crawler.stages.process import Options, Page

from .conftest import SHARED, crawl_command, descendants

OPTIONS = Options.from_settings(load_settings())


def a_page() -> Page:
    seed = sorted((SHARED / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{line}</p>" for line in seed.splitlines() if line.strip())
    return Page(
        "https://example.com/2025/06/01/story/",
        f"<html><body><article>{paragraphs}</article></body></html>".encode(),
        "text/html",
    )


def test_every_user_in_a_process_shares_one_pool_sized_once():
    first = pool.acquire(1)
    second = pool.acquire(4)  # a second outlet's crawler: the same pool, not four more workers
    try:
        assert first is second and first.workers == 1
        assert asyncio.run(first.process(a_page(), OPTIONS)).record is not None
        assert len(first._executor._processes) == 1
    finally:
        pool.release()
        assert pool._shared is first  # one user left: still open
        pool.release()
    assert pool._shared is None and first._executor._shutdown_thread
    assert pool.acquire(1) is not first  # the next crawl in this process gets a fresh one
    pool.release()


def test_workers_start_with_the_first_page_not_with_the_pool():
    extraction = pool.acquire(2)
    try:
        assert extraction._executor._processes == {}  # a crawl that finds nothing new starts none
        assert asyncio.run(extraction.process(a_page(), OPTIONS)).record is not None
        assert len(extraction._executor._processes) == 2  # then all of them, held until all are up
    finally:
        pool.release()


def test_a_dead_worker_is_replaced_and_its_page_tried_again():
    extraction = pool.acquire(1)
    try:
        assert asyncio.run(extraction.process(a_page(), OPTIONS)).record is not None
        broken = extraction._executor
        (worker,) = broken._processes.values()
        os.kill(worker.pid, signal.SIGKILL)  # as the kernel's OOM killer would
        worker.join()
        processed = asyncio.run(extraction.process(a_page(), OPTIONS))
        assert processed.record is not None and extraction._executor is not broken
    finally:
        pool.release()


def test_a_page_waiting_for_a_worker_while_the_pool_is_replaced_uses_the_new_one():
    """A page that waited for a slot while another page's failure replaced the pool goes to the new
    pool (it once went to the old, shut-down one: "cannot schedule new futures after shutdown")."""
    extraction = pool.acquire(1)

    async def scenario():
        slots = extraction._slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(1))
        await slots.acquire()  # the one worker is busy with another page
        waiting = asyncio.create_task(extraction.process(a_page(), OPTIONS))
        await asyncio.sleep(0)  # the page is now waiting for the slot
        old = extraction._executor
        extraction._replace(old, "replaced for the test")  # that other page's worker died
        slots.release()
        return await waiting, old

    try:
        processed, old = asyncio.run(scenario())
        assert processed.record is not None and extraction._executor is not old
    finally:
        pool.release()


def _slow_start(parent: int, max_memory: int, everyone) -> None:
    time.sleep(4)  # a worker starting on a busy machine: longer than the pages' whole backstop
    pool._start_worker(parent, max_memory, everyone)


class SlowStartingPool(pool.ExtractionPool):
    initializer = staticmethod(_slow_start)


def test_a_workers_start_is_not_counted_as_its_pages_time():
    """A page's time runs once the workers have started. The backstop once counted from submission,
    so on a loaded machine the pages sent to a freshly replaced pool were given up as too slow."""
    extraction = SlowStartingPool(2, timeout=1)  # backstop: 3 s per page
    try:
        processed = extraction.process_all([(a_page(), OPTIONS), (a_page(), OPTIONS)])
        assert all(p.record is not None for p in processed), [p.message for p in processed]
    finally:
        extraction.shutdown()


def _workers(pid: int) -> set[int]:
    return {child for child in descendants(pid) if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()}


def test_workers_die_with_a_crawl_killed_with_sigkill(fixture_server, registry, tmp_path):
    """Only the crawl process is killed (no process group kill): its workers follow it at once."""
    command = crawl_command(
        fixture_server,
        f"sqlite:///{tmp_path / 'a.db'}",
        "--outlets",
        str(registry),
        "--outlet",
        "bulk",
        "-s",
        "NEWSARCHIVE_EXTRACT_WORKERS=2",
    )
    with fixture_server.gate("bulk.test", after=3) as held:
        crawl = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        held()
        deadline = time.monotonic() + 60
        while not (workers := _workers(crawl.pid)):  # the pool starts its workers on demand
            assert time.monotonic() < deadline, "no extraction worker started"
            time.sleep(0.05)
        crawl.kill()
        crawl.wait()
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
