"""Bytes -> text for HTML pages (pure).

Order: valid UTF-8 with non-ASCII bytes is UTF-8 whatever the labels say (outlets have shipped
UTF-8 pages labelled ISO-8859-1); otherwise the HTTP header, the BOM, then <meta>, with WHATWG
label mapping (ISO-8859-1 and US-ASCII decode as windows-1252); windows-1252 as a last resort.
"""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(text, encoding used)."""
    if _is_utf8_with_non_ascii(body):
        return body.decode("utf-8").lstrip("\ufeff"), "utf-8"
    encoding, text = html_to_unicode(content_type, body, default_encoding="cp1252")
    return text, encoding


def looks_binary(body: bytes) -> bool:
    """Images, archives or PDFs served as text/html: NUL bytes never occur in real HTML."""
    return b"\x00" in body[:4096]
