"""One extraction pool per process, shared by every outlet's crawler and by reextract.

Extraction is CPU-bound (~37 pages/s per core), so it runs in worker processes and the reactor
keeps downloading. One pool serves the whole process, sized by NEWSARCHIVE_EXTRACT_WORKERS: a
crawl of eleven outlets starts no more workers than a crawl of one. It is created by its first
user and shut down when its last user releases it (the pipelines, when their engines stop).

A hostile page costs only itself: a page that takes longer than the time limit is given up
(`too_slow`) and the pool's workers are replaced; one that needs more memory than a worker may
use is `too_large`; a worker that dies is replaced and its page tried once more. Workers die
with their parent, even one killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Barrier

from crawler.outcomes import PER_PAGE, Outcome
from crawler.stages.process import Options, Page, Processed, process_page

logger = logging.getLogger(__name__)

# prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
# Seconds a new worker waits for the others to start before it takes pages anyway (one that died
# while starting must not hold the rest).
STARTUP_WAIT = 120
# A page a new worker processes before any real one, so that what a first page would load (the
# language model, the lexicon, trafilatura's tables) is the worker's start, not that page's time.
WARM_UP = Page(
    "https://warm-up.invalid/2025/01/01/warm-up/",
    b"<html><head><title>Warm up</title></head><body><article><p>A data center for artificial"
    b" intelligence opens with new GPU clusters and a power purchase agreement.</p></article></body></html>",
    "text/html",
)


class TooSlow(Exception):
    """Raised in a worker when its page's time is up."""


def _started() -> None:
    """In the worker: nothing; it returns once the worker and its siblings have started."""


def _start_worker(parent: int, max_memory: int, everyone: Barrier) -> None:
    """A worker never outlives its crawl, even one killed with SIGKILL; a page that would take all
    the machine's memory fails in the worker with MemoryError instead. It takes no page before
    its siblings have started."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    if max_memory:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    process_page(WARM_UP, Options(relevance_threshold=0.5, min_words=1))
    try:
        everyone.wait(STARTUP_WAIT)
    except threading.BrokenBarrierError:
        logger.warning("extraction workers did not all start within %d s", STARTUP_WAIT)


class ExtractionPool:
    # What each worker runs first (a test swaps in a slow start).
    initializer: Callable[[int, int, Barrier], None] = staticmethod(_start_worker)

    def __init__(self, workers: int, timeout: float = 0, max_memory: int = 0) -> None:
        self.workers = workers
        self.timeout = timeout  # seconds a page may take (0: no limit)
        self.max_memory = max_memory  # bytes of address space a worker may use (0: no limit)
        self._lock = threading.Lock()  # pages may arrive from more than one thread's event loop
        self._executor = self._start()
        self._started: list[Future[None]] | None = None  # the workers start with the first page
        # One page per worker in flight, so a page's time runs from when a worker takes it.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs the reactor and database pools is unsafe.
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=self.initializer,
            initargs=(os.getpid(), self.max_memory, context.Barrier(self.workers)),
        )

    def _starting(self) -> list[Future[None]]:
        """Calls that return once every worker has started. A page's time runs after them: on a busy
        machine a new worker takes seconds to import its modules, and that time is not the page's.
        One call per worker makes the executor start them all; the barrier holds each until the
        others are up. Not before the first page: a crawl that finds nothing new starts no worker."""
        with self._lock:
            if self._started is None:
                self._started = [self._executor.submit(_started) for _ in range(self.workers)]
            return self._started

    def _replace(self, broken: ProcessPoolExecutor, why: str) -> None:
        with self._lock:
            if broken is not self._executor:
                return  # another page's failure replaced it already
            logger.warning("%s; starting new extraction workers", why, extra=PER_PAGE)
            workers = list(getattr(broken, "_processes", {}).values())
            # Not cancelled: the pages waiting in the broken pool fail with BrokenProcessPool and are
            # tried again in the new one.
            broken.shutdown(wait=False)
            for worker in workers:  # a worker stuck in C code never returns by itself
                worker.kill()
            self._executor = self._start()
            self._started = None

    async def process(self, page: Page, options: Options) -> Processed:
        """`process_page` in a worker, within the time limit and the memory cap. A worker that
        dies is replaced and the page tried once more; the other pages go on either way."""
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, asyncio.Semaphore(self.workers))
        for _attempt in (1, 2):
            executor = self._executor
            try:
                await asyncio.gather(*map(asyncio.wrap_future, self._starting()))
                async with slots:
                    # The executor as it is now: another page may have replaced it while this one
                    # waited for a slot (submitting to the old one fails: "after shutdown").
                    executor = self._executor
                    future = self._submit(executor, page, options)
                    # The worker's own alarm gives the page up; this is the backstop for a worker
                    # stuck where the alarm cannot reach it.
                    return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout * 3 or None)
            except BrokenProcessPool:
                self._replace(executor, f"an extraction worker died (at {page.url})")
            except TimeoutError:
                self._replace(executor, f"{page.url} took over {self.timeout * 3:g} s to extract")
                return Processed(Outcome.TOO_SLOW, message=f"extraction took over {self.timeout:g} s")
            except MemoryError:
                return Processed(Outcome.TOO_LARGE, message="extraction needed more memory than a worker has")
        return Processed(Outcome.ERROR, message="the extraction worker died twice on this page")

    def _submit(self, executor: ProcessPoolExecutor, page: Page, options: Options) -> Future[Processed]:
        try:
            return executor.submit(_within, page, options, self.timeout)
        except RuntimeError:
            if executor is self._executor:
                raise
            # Replaced and shut down by a page on another thread's loop in between: the new one.
            return self._executor.submit(_within, page, options, self.timeout)

    def process_all(self, pages: Iterable[tuple[Page, Options]]) -> list[Processed]:
        """`process` over many pages at once, in order, for callers outside an event loop (reextract)."""

        async def every() -> list[Processed]:
            return list(await asyncio.gather(*(self.process(page, options) for page, options in pages)))

        return asyncio.run(every())

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _within(page: Page, options: Options, seconds: float) -> Processed:
    """In the worker: `process_page`, given up when `seconds` have passed (SIGALRM)."""
    if not seconds:
        return process_page(page, options)
    signal.signal(signal.SIGALRM, _time_is_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return process_page(page, options)
    except TooSlow:
        return Processed(Outcome.TOO_SLOW, message=f"extraction took over {seconds:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _time_is_up(signum: int, frame: object) -> None:
    raise TooSlow


_shared: ExtractionPool | None = None
_users = 0


def acquire(workers: int = 0, timeout: float = 0, max_memory: int = 0) -> ExtractionPool:
    """The process's pool (`workers` 0: one per core), created on first use with these limits."""
    global _shared, _users
    if _shared is None:
        _shared = ExtractionPool(workers or os.cpu_count() or 1, timeout, max_memory)
    _users += 1
    return _shared


def release() -> None:
    """The last user's release shuts the pool down."""
    global _shared, _users
    _users -= 1
    if _users == 0 and _shared is not None:
        _shared.shutdown()
        _shared = None
