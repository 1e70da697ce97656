"""Where the shared corpus is, and what its manifest says of each file."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def manifest_languages(manifest: Path = CORPUS / "MANIFEST.tsv", by: str = "file") -> dict[str, str]:
    """File name (or, by="folder", the name of the folder holding the file) -> language, as the
    manifest records it."""
    languages = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) > 6 and columns[6]:
            parts = columns[0].split("/")
            key = parts[-1] if by == "file" else parts[-2] if len(parts) > 1 else parts[-1]
            languages.setdefault(key, columns[6])
    return languages
