"""Where the shared corpus is, and what its manifest says of each file."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def manifest_languages(manifest: Path = CORPUS / "MANIFEST.tsv") -> dict[str, str]:
    """File name -> language, as the manifest records it."""
    languages = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) > 6:
            languages[columns[0].rsplit("/", 1)[-1]] = columns[6]
    return languages
