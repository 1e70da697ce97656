"""Export stage: archive rows -> files (txt per article + manifest, JSONL, CSV, Parquet).

Writers consume an iterator of records and never hold more than one batch, so memory stays
flat at any archive size. Output appears atomically: a killed export leaves the previous
one intact, never a half-written file or directory.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

FORMATS = ("txt", "jsonl", "csv", "parquet")
MANIFEST = "manifest.jsonl"
# The exporter's own marker in a txt export: every file it wrote, signed. Only a directory holding
# exactly those is replaced by the next export.
MARKER = ".newsarchive-export.json"
# An article file of a txt export written before the marker existed.
_LEGACY_NAME = re.compile(r"^\d{3,}_[0-9a-f]{16}\.txt$")
# Articles per Parquet row group / record batch.
PARQUET_BATCH = 2000

FIELDS = (
    "id",
    "outlet",
    "url",
    "canonical_url",
    "title",
    "authors",
    "published_at",
    "modified_at",
    "language",
    "description",
    "text",
    "word_count",
    "content_hash",
    "is_relevant",
    "topic_score",
    "topic_terms",
    "duplicate_of_id",
    "story_id",
    "source_url",
    "image_url",
    "tags",
    "site_name",
    "fetched_at",
    "updated_at",
    "version",
)
MANIFEST_FIELDS = (
    "file",
    "id",
    "outlet",
    "url",
    "canonical_url",
    "title",
    "published_at",
    "modified_at",
    "language",
    "content_hash",
    "url_hash",
    "file_sha256",
)

Progress = Callable[[], None]


class ExportError(Exception):
    """The export could not be written; nothing was replaced."""


def url_hash(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def txt_name(sequence: int, width: int, canonical_url: str) -> str:
    """`NNN_<16 hex>.txt`: sequence by publication time, then a name stable across exports."""
    return f"{sequence:0{width}d}_{url_hash(canonical_url)[:16]}.txt"


def sequence_width(total: int) -> int:
    return max(3, len(str(max(total - 1, 0))))


def to_json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export(
    records: Iterable[dict[str, Any]], fmt: str, out: Path, total: int, tick: Progress = lambda: None
) -> int:
    """Write `records` (`total` of them, in order) to `out`; returns how many were written."""
    if fmt == "txt":
        return write_txt(records, out, total, tick)
    writer = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}[fmt]
    return writer(records, out, tick)


def _counted(records: Iterable[dict[str, Any]], tick: Progress) -> Iterator[dict[str, Any]]:
    for record in records:
        yield record
        tick()


def _umask_mode(base: int) -> int:
    """The mode a plainly created file or directory would get (mkstemp/mkdtemp make them private)."""
    umask = os.umask(0)
    os.umask(umask)
    return base & ~umask


@contextmanager
def atomic_file(out: Path, mode: str = "w", **kwargs: Any):
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        with open(tmp, mode, **kwargs) as stream:
            yield stream
        os.chmod(tmp, _umask_mode(0o666))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_jsonl(records: Iterable[dict[str, Any]], out: Path, tick: Progress) -> int:
    count = 0
    with atomic_file(out, encoding="utf-8") as stream:
        for record in _counted(records, tick):
            row = {key: to_json_value(record[key]) for key in FIELDS}
            if "versions" in record:  # export --include-versions: the earlier versions, oldest first
                row["versions"] = record["versions"]
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_csv(records: Iterable[dict[str, Any]], out: Path, tick: Progress) -> int:
    """RFC 4180 CSV; list columns hold JSON arrays, dates ISO 8601."""
    count = 0
    with atomic_file(out, encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(FIELDS)
        for record in _counted(records, tick):
            writer.writerow([_csv_cell(record[key]) for key in FIELDS])
            count += 1
    return count


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return to_json_value(value)


def parquet_schema():
    import pyarrow as pa

    timestamp = pa.timestamp("us", tz="UTC")
    strings = pa.list_(pa.string())
    types = {
        "id": pa.int64(),
        "version": pa.int64(),
        "word_count": pa.int64(),
        "duplicate_of_id": pa.int64(),
        "story_id": pa.int64(),
        "is_relevant": pa.bool_(),
        "topic_score": pa.float64(),
        "topic_terms": strings,
        "tags": strings,
        "published_at": timestamp,
        "modified_at": timestamp,
        "fetched_at": timestamp,
        "updated_at": timestamp,
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in FIELDS])


def write_parquet(records: Iterable[dict[str, Any]], out: Path, tick: Progress) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    batch: list[dict[str, Any]] = []
    with atomic_file(out, "wb") as stream, pq.ParquetWriter(stream, schema, compression="zstd") as writer:
        for record in _counted(records, tick):
            batch.append({key: record[key] for key in FIELDS})
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch.clear()
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def write_txt(records: Iterable[dict[str, Any]], out: Path, total: int, tick: Progress) -> int:
    """One file per article holding exactly its text, plus manifest.jsonl and the exporter's own
    marker listing every file it wrote; replaces an earlier export whole, and nothing else."""
    target = _export_directory(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    width = sequence_width(total)
    count = 0
    written = [MANIFEST]
    try:
        with open(staging / MANIFEST, "w", encoding="utf-8") as manifest:
            for sequence, record in enumerate(_counted(records, tick)):
                name = txt_name(sequence, width, record["canonical_url"])
                body = record["text"].encode("utf-8")
                (staging / name).write_bytes(body)  # plain creation: the user's umask applies
                written.append(name)
                entry = {key: to_json_value(record.get(key)) for key in MANIFEST_FIELDS}
                entry.update(
                    file=name,
                    url_hash=url_hash(record["canonical_url"]),
                    file_sha256=hashlib.sha256(body).hexdigest(),
                )
                manifest.write(json.dumps(entry, ensure_ascii=False) + "\n")
                count += 1
        (staging / MARKER).write_text(json.dumps(_marker(written)), encoding="utf-8")
        os.chmod(staging, _umask_mode(0o777))
        _swap_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def _marker(files: list[str]) -> dict[str, Any]:
    listed = sorted(files)
    return {"generator": "newsarchive", "files": listed, "signature": _signature(listed)}


def _signature(files: list[str]) -> str:
    return hashlib.sha256(json.dumps(["newsarchive export", files]).encode()).hexdigest()


def _export_directory(out: Path) -> Path:
    """The directory to write: `out` normalised (`a/sub/..` is `a`; a symlink's target, so the link
    survives). Refused, with one line, when it holds anything this exporter did not write there."""
    target = Path(os.path.realpath(out))
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise ExportError(
            f"{out} is the current directory or holds it: give the export a directory of its own"
        )
    if target.exists() and not target.is_dir():
        raise ExportError(f"{out} exists and is not a directory")
    if target.is_dir():
        foreign = sorted(entry.name for entry in target.iterdir() if entry.name not in _ours(target))
        if foreign:
            raise ExportError(
                f"{out} holds files this exporter did not write ({', '.join(foreign[:3])}"
                f"{', …' if len(foreign) > 3 else ''}); choose another --out"
            )
    return target


def _ours(directory: Path) -> set[str]:
    """What an earlier export wrote in `directory`: the files its marker lists (when its signature
    holds), or, for an export older than the marker, its manifest and article files."""
    try:
        marker = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        files = [str(name) for name in marker["files"]]
        if marker.get("generator") == "newsarchive" and marker.get("signature") == _signature(sorted(files)):
            return {*files, MARKER}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if not (directory / MANIFEST).is_file():
        return set()
    return {MANIFEST} | {entry.name for entry in directory.iterdir() if _LEGACY_NAME.match(entry.name)}


def _swap_directory(staging: Path, target: Path) -> None:
    """`staging` becomes `target`; the earlier export (only our files: checked above) is removed."""
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
