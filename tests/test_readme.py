"""The README's claims that a test can check: its architecture tree names every module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def architecture_tree() -> set[str]:
    """The paths the README's architecture block names (nesting by two-space indentation)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1]
    block = section.split("```", 2)[1]
    paths: set[str] = set()
    parents: list[str] = []
    for line in block.splitlines():
        entry = line.split("#", 1)[0].rstrip()
        if not entry.strip():
            continue
        depth = (len(entry) - len(entry.lstrip())) // 2
        parents = parents[:depth]
        for name in re.split(r",\s*", entry.strip()):
            paths.add("".join(parents) + name)
        if entry.strip().endswith("/"):
            parents.append(entry.strip())
    return paths


def test_architecture_tree_names_every_module():
    modules = {
        str(path.relative_to(ROOT))
        for package in ("crawler", "db")
        for path in (ROOT / package).rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    tree = architecture_tree()
    missing = sorted(modules - tree)
    assert not missing, f"README's architecture tree does not name: {', '.join(missing)}"
    gone = sorted(
        path
        for path in tree
        if path.endswith(".py") and path.startswith(("crawler/", "db/")) and not (ROOT / path).exists()
    )
    assert not gone, f"README's architecture tree names modules that do not exist: {', '.join(gone)}"
