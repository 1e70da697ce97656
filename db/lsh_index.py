"""An in-memory copy of `neardup_keys`, kept current from SQL: the LSH lookup without a B-tree probe.

The table stays the source of truth (it persists and every writer shares it). Probing it costs
24 B-tree searches per article; at a million articles that caps a check near 10,000 articles/s
(bench/dedup_throughput.py). This copy is two sorted numpy arrays (key, article id) loaded once
per process, plus the rows added since: before each lookup, the rows of articles with a higher id
than any seen are read through the `article_id` index. Writers hold the archive's write lock while
they allocate ids and commit, so ids become visible in increasing order and that tail read misses
nothing. Keys this process writes itself (a changed article keeps its id) are added as written.
An archive that shrank (a rebuild elsewhere, a truncated test database) is reloaded.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

FETCH_ROWS = 100_000


class KeyIndex:
    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.owners: np.ndarray = np.empty(0, dtype=np.int64)
        self.recent: dict[int, set[int]] = defaultdict(set)
        self.watermark = -1  # highest article id whose keys are loaded

    def load(self, session: Session) -> None:
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute("SELECT count(*), max(article_id) FROM neardup_keys")
            total, top = cursor.fetchone() or (0, None)
            # filled in place, never copied: a million articles are 24 million rows, 288 MB here
            self.keys = np.empty(total, dtype=np.int64)
            self.owners = np.empty(total, dtype=np.int32 if (top or 0) < 2**31 else np.int64)
            cursor.execute("SELECT key, article_id FROM neardup_keys ORDER BY key")
            filled = 0
            while filled < total and (rows := cursor.fetchmany(FETCH_ROWS)):
                block = np.array(rows[: total - filled], dtype=np.int64)
                self.keys[filled : filled + len(block)] = block[:, 0]
                self.owners[filled : filled + len(block)] = block[:, 1]
                filled += len(block)
        finally:
            cursor.close()
        self.keys, self.owners = self.keys[:filled], self.owners[:filled]
        self.recent = defaultdict(set)
        self.watermark = top or 0

    def catch_up(self, session: Session) -> None:
        """Load the keys of articles stored since (by this or any other process)."""
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute("SELECT max(article_id) FROM article_signatures")
            top = (cursor.fetchone() or (None,))[0] or 0
            if top < self.watermark or self.watermark < 0:
                cursor.close()
                self.load(session)
                return
            if top > self.watermark:
                placeholder = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
                cursor.execute(
                    f"SELECT key, article_id FROM neardup_keys WHERE article_id > {placeholder}",
                    (self.watermark,),
                )
                self.add(cursor.fetchall())
                self.watermark = top
        finally:
            cursor.close()

    def add(self, rows: Iterable[tuple[int, int]]) -> None:
        for key, owner in rows:
            self.recent[key].add(owner)

    def candidates(self, keys_by_article: dict[int, tuple[int, ...]]) -> dict[int, set[int]]:
        """article -> the other articles sharing at least one of its keys (vectorised over the batch)."""
        articles = list(keys_by_article)
        counts = [len(keys_by_article[a]) for a in articles]
        wanted = np.fromiter(
            (k for a in articles for k in keys_by_article[a]), dtype=np.int64, count=sum(counts)
        )
        asking = np.repeat(np.arange(len(articles)), counts)
        order = np.argsort(wanted, kind="stable")  # sorted needles: searchsorted walks the table once
        wanted, asking = wanted[order], asking[order]
        start = np.searchsorted(self.keys, wanted, side="left")
        end = np.searchsorted(self.keys, wanted, side="right")
        found: dict[int, set[int]] = defaultdict(set)
        single = end - start == 1
        pairs = np.unique(np.stack([asking[single], self.owners[start[single]]], axis=1), axis=0)
        for position, owner in pairs.tolist():
            found[articles[position]].add(owner)
        for index in np.nonzero(end - start > 1)[0].tolist():  # a key several articles share
            found[articles[asking[index]]].update(self.owners[start[index] : end[index]].tolist())
        if self.recent:
            for article, keys in keys_by_article.items():
                for key in self.recent.keys() & keys:
                    found[article] |= self.recent[key]
        for article, owners in found.items():
            owners.discard(article)
        return {article: owners for article, owners in found.items() if owners}


_indexes: dict[str, KeyIndex] = {}
_WATCHED = "newsarchive.lsh_index.watched"  # session.info key: a rollback listener is in place
_guard = threading.Lock()


def for_session(session: Session) -> KeyIndex:
    """This process's copy for the session's database, caught up with what is committed."""
    name = engine_of(session).url.render_as_string(hide_password=False)
    with _guard:
        index = _indexes.setdefault(name, KeyIndex())
        index.catch_up(session)
    return index


def remember(session: Session, rows: Iterable[tuple[int, int]]) -> None:
    """Keys this process just wrote, in the session's open transaction. Should that transaction
    roll back (an error, a failed commit), the copy may hold its keys and be past its ids
    (SQLite hands them out again): it is dropped then, and reloaded on the next check."""
    engine = engine_of(session)
    if not session.info.get(_WATCHED):
        session.info[_WATCHED] = True
        event.listen(session, "after_rollback", lambda _session: forget(engine), once=True)
    with _guard:
        index = _indexes.get(engine.url.render_as_string(hide_password=False))
        if index is not None:
            index.add(rows)


def forget(engine: Engine) -> None:
    """Drop this process's copy (a rebuild replaced the table, or a transaction that wrote keys
    rolled back)."""
    with _guard:
        _indexes.pop(engine.url.render_as_string(hide_password=False), None)


def engine_of(session: Session) -> Engine:
    """The engine a session is bound to."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine
