"""Bytes to text (crawler/stages/encoding.py)."""

from __future__ import annotations

from bench.seed_pages import seed_files
from crawler.stages.encoding import decode_html, looks_binary

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


def test_encoding_sniffing_and_whatwg_labels():
    text = "Informação é poder — “citação”"
    assert decode_html(text.encode("cp1252"), "text/html; charset=ISO-8859-1")[0] == text
    # UTF-8 bytes mislabelled as ISO-8859-1 (Olhar Digital, 2020) still decode as UTF-8
    assert decode_html(f'<meta charset="ISO-8859-1"><p>{text}</p>'.encode(), None)[0].endswith(f"{text}</p>")
    assert decode_html(f'<meta charset="windows-1252"><p>{text}</p>'.encode("cp1252"), None)[0].endswith(
        f"{text}</p>"
    )
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00") and not looks_binary(b"<html>")
