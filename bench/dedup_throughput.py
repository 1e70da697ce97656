"""Near-duplicate check rate and memory with N documents in the archive's persisted LSH index.

    python bench/dedup_throughput.py --docs 100000 1000000 [--db postgresql+psycopg://postgres@127.0.0.1/postgres]

For each N: an index of N documents (MinHash signatures and LSH keys, as `db.dedup` stores them)
is loaded into a fresh SQLite file (or a scratch PostgreSQL schema), then, in a fresh process,
`db.dedup.near_duplicates`, the lookup the crawl runs for every new article (its first call
loads the process's in-memory copy of the key table, `db/lsh_index.py`), checks query documents
in batches: half are
edited copies of indexed documents (about a quarter of the MinHash values changed), half are
new. Reported: checks per second by batch size (25 is a crawl batch, 500 a rebuild batch),
the copies found and false matches, the checking process's peak RSS (a fresh process, through the
archive's engine), the index size,
and how fast `crawler.stages.dedup.signature` computes signatures of real-length articles (that part
runs in the extraction workers, beside trafilatura). Prints one JSON object per N.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.config import load_settings  # noqa: E402
from crawler.devsite.synthetic import article  # noqa: E402
from crawler.stages.dedup import BANDS, LEAD_ANCHORS, NUM_PERM, Signature, band_keys, signature  # noqa: E402
from db import lsh_index  # noqa: E402
from db.dedup import DedupConfig, near_duplicates  # noqa: E402
from db.models import ArticleSignature, Base, NearDupKey  # noqa: E402
from db.session import make_engine, session_factory  # noqa: E402

LOAD_CHUNK = 50_000
SHINGLES = 400  # a 450-word article


def random_signatures(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint64).astype("<u4")


def keys_of(values: np.ndarray, anchors: np.ndarray) -> tuple[int, ...]:
    return tuple(band_keys(values) + [int(a) for a in anchors])


def load_index(engine, total: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """N documents' signature rows and key rows, loaded in key order through the DB-API."""
    kept_values, kept_anchors = [], []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        for start in range(0, total, LOAD_CHUNK):
            count = min(LOAD_CHUNK, total - start)
            values = random_signatures(rng, count)
            anchors = rng.integers(-(2**63), 2**63 - 1, size=(count, LEAD_ANCHORS), dtype=np.int64)
            signatures = [
                (start + i + 1, values[i].tobytes(), SHINGLES, "[]", "[]", "2025-06-01 00:00:00")
                for i in range(count)
            ]
            cursor.executemany(
                f"INSERT INTO article_signatures (article_id, minhash, shingles, names, figures, story_at) "
                f"VALUES ({', '.join([placeholder] * 6)})",
                signatures,
            )
            keys = sorted(
                (key, start + i + 1) for i in range(count) for key in keys_of(values[i], anchors[i])
            )
            cursor.executemany(
                f"INSERT INTO neardup_keys (key, article_id) VALUES ({placeholder}, {placeholder})", keys
            )
            raw.commit()
            # keep a sample to make copies of
            kept_values.append(values[:200])
            kept_anchors.append(anchors[:200])
    finally:
        raw.close()
    return np.concatenate(kept_values), np.concatenate(kept_anchors)


def queries(
    rng: np.random.Generator, indexed: np.ndarray, anchors: np.ndarray, count: int
) -> list[tuple[Signature, bool]]:
    out = []
    for i in range(count):
        if i % 2 == 0:
            source = rng.integers(len(indexed))
            values = indexed[source].copy()
            edited = rng.choice(NUM_PERM, NUM_PERM // 4, replace=False)
            values[edited] = rng.integers(0, 2**32, size=len(edited), dtype=np.uint64).astype("<u4")
            out.append((Signature(values.tobytes(), SHINGLES, keys_of(values, anchors[source])), True))
        else:
            values = random_signatures(rng, 1)[0]
            fresh = rng.integers(-(2**63), 2**63 - 1, size=LEAD_ANCHORS, dtype=np.int64)
            out.append((Signature(values.tobytes(), SHINGLES, keys_of(values, fresh)), False))
    return out


def check_rate(engine, probes: list[tuple[Signature, bool]], batch: int) -> dict:
    config = DedupConfig.from_settings(load_settings())
    found = false = 0
    started = time.perf_counter()
    for start in range(0, len(probes), batch):
        chunk = probes[start : start + batch]
        # ids far above the index's: these documents are not archived yet
        signatures = {10**12 + start + i: sig for i, (sig, _) in enumerate(chunk)}
        with session_factory(engine).begin() as session:
            matches = near_duplicates(session, signatures, config.near)
        for (article_id, _), (_, is_copy) in zip(signatures.items(), chunk, strict=True):
            found += bool(matches[article_id]) and is_copy
            false += bool(matches[article_id]) and not is_copy
    elapsed = time.perf_counter() - started
    copies = sum(is_copy for _, is_copy in probes)
    return {
        "batch": batch,
        "docs_per_s": round(len(probes) / elapsed),
        "copies_found": round(found / copies, 4),
        "false_matches": false,
    }


def signature_rate(count: int = 2000) -> float:
    texts = [article(n).text for n in range(count)]
    started = time.perf_counter()
    for text_ in texts:
        signature(text_)
    return round(count / (time.perf_counter() - started))


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scratch(db: str | None, workdir: Path, total: int):
    """A fresh database holding only the two index tables (no articles rows needed to measure lookups)."""
    if db is None:
        path = workdir / f"dedup_{total}.db"
        engine = create_engine(f"sqlite:///{path}")
        Base.metadata.create_all(engine, tables=[ArticleSignature.__table__, NearDupKey.__table__])
        return engine, lambda: path.stat().st_size
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(db, connect_args={"options": f"-csearch_path={schema}"})
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text("CREATE TABLE articles (id integer PRIMARY KEY)"))
    Base.metadata.create_all(engine, tables=[ArticleSignature.__table__, NearDupKey.__table__])
    with engine.begin() as conn:  # the bench loads signatures without article rows
        for table in ("article_signatures", "neardup_keys"):
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_article_id_articles"))

    def size() -> int:
        with engine.begin() as conn:
            return conn.scalar(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"
                ),
                {"s": schema},
            )

    return engine, size


def bench(total: int, db: str | None, probes_count: int, workdir: Path) -> dict:
    rng = np.random.default_rng(total)
    engine, size = scratch(db, workdir, total)
    started = time.perf_counter()
    indexed, anchors = load_index(engine, total, rng)
    load_seconds = time.perf_counter() - started
    probes_file = workdir / "probes.pickle"
    probes_file.write_bytes(pickle.dumps(queries(rng, indexed, anchors, probes_count)))
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    # The checks run in a fresh process, so its memory is the archive writer's, not the loader's.
    child = subprocess.run(
        [sys.executable, __file__, "--check", url, str(probes_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "backend": engine.dialect.name,
        "docs": total,
        "bands": BANDS,
        "keys_per_doc": BANDS + LEAD_ANCHORS,
        "load_s": round(load_seconds, 1),
        "index_mb": round(size() / 2**20),
        **json.loads(child.stdout),
    }


def check(url: str, probes_file: Path) -> dict:
    """The checks, through the archive's own engine (its SQLite pragmas, its PostgreSQL pool)."""
    probes = pickle.loads(probes_file.read_bytes())
    engine = make_engine(url)
    started = time.perf_counter()
    with session_factory(engine).begin() as session:
        lsh_index.for_session(session)  # the process's first check reads the whole key table
    loaded = time.perf_counter() - started
    rates = [check_rate(engine, probes, batch) for batch in (25, 500)]
    return {
        "key_index_load_s": round(loaded, 1),
        "checks": rates,
        "checker_peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--probes", type=int, default=20_000, help="Documents checked per batch size.")
    parser.add_argument("--db", help="PostgreSQL URL (a scratch schema is created); default: a SQLite file.")
    parser.add_argument("--check", nargs=2, metavar=("URL", "PROBES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check:
        print(json.dumps(check(args.check[0], Path(args.check[1]))))
        return
    print(
        json.dumps({"signature_docs_per_s_one_core": signature_rate(), "cores": os.cpu_count()}), flush=True
    )
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as workdir:
        for total in args.docs:
            print(json.dumps(bench(total, args.db, args.probes, Path(workdir))), flush=True)


if __name__ == "__main__":
    main()
