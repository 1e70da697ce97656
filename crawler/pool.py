"""One extraction pool per process, shared by every outlet's crawler and by reextract.

Extraction is CPU-bound (~37 pages/s per core), so it runs in worker processes and the reactor
keeps downloading. One pool serves the whole process, sized by NEWSARCHIVE_EXTRACT_WORKERS: a
crawl of eleven outlets starts no more workers than a crawl of one. It is created by its first
user and shut down when its last user releases it (the pipelines, when their engines stop).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.stages.process import Options, Page, Processed, process_page

logger = logging.getLogger(__name__)

# prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


class WorkerDied(RuntimeError):
    """A page killed its extraction worker twice (a crash or the kernel's OOM killer)."""


class ExtractionPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = _executor(workers)

    async def process(self, page: Page, options: Options) -> Processed:
        """`process_page` in a worker. A worker that dies is replaced and the page tried once
        more; the pages of the other workers go on either way."""
        for _attempt in (1, 2):
            executor = self._executor
            try:
                return await asyncio.wrap_future(executor.submit(process_page, page, options))
            except BrokenProcessPool:
                if executor is self._executor:  # the first to notice replaces it
                    logger.warning("an extraction worker died (at %s); starting a new pool", page.url)
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = _executor(self.workers)
        raise WorkerDied(f"the extraction worker died twice on {page.url}")

    def map(self, pages: Iterable[Page], options: Iterable[Options]) -> Iterator[Processed]:
        """`process_page` over many pages, in order (reextract)."""
        return self._executor.map(process_page, pages, options, chunksize=8)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _executor(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: forking a process that runs the reactor and database pools is unsafe.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def _die_with_parent(parent: int) -> None:
    """A worker never outlives its crawl, even one killed with SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


_shared: ExtractionPool | None = None
_users = 0


def acquire(workers: int = 0) -> ExtractionPool:
    """The process's pool (`workers` 0: one per core), created on first use."""
    global _shared, _users
    if _shared is None:
        _shared = ExtractionPool(workers or os.cpu_count() or 1)
    _users += 1
    return _shared


def release() -> None:
    """The last user's release shuts the pool down."""
    global _shared, _users
    _users -= 1
    if _users == 0 and _shared is not None:
        _shared.shutdown()
        _shared = None
