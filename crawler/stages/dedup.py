"""Dedup stage (pure): one canonical URL per article, one hash per text, one MinHash signature per text.

The archive side (persisted LSH keys, crediting the original, story clusters) is `db/dedup.py`."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from w3lib.url import canonicalize_url

from crawler.stages.story import Fingerprint, fingerprint

# Query parameters that only track the reader: never part of an article's identity.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|_hsenc|_hsmi"
    r"|ref|ref_src|ref_url|referrer|cmpid|xtor|at_[a-z_]+|itm_[a-z_]+|s_cid|ocid|ncid|sr_share|share|amp|outputtype"
    r"|__twitter_impression|spm|rss|from|via|source)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_SUFFIX = re.compile(r"/amp/?$")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    sorted query, no AMP suffix: every variant of one article URL maps to one string."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = f":{parts.port}" if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else ""
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    )
    path = _AMP_SUFFIX.sub("/", parts.path) or "/"
    return canonicalize_url(urlunsplit((scheme, host + port, path, query, "")))


def same_site(a: str, b: str) -> bool:
    def site(url: str) -> str:
        host = (urlsplit(url).hostname or "").lower()
        return host[4:] if host.startswith("www.") else host

    return site(a) == site(b) and site(a) != ""


def article_key(fetched_url: str, rel_canonical: str | None) -> str:
    """The article's identity: its rel=canonical when that stays on the same site, else the URL fetched."""
    if (
        rel_canonical
        and rel_canonical.startswith(("http://", "https://"))
        and same_site(rel_canonical, fetched_url)
    ):
        return canonical_url(rel_canonical)
    return canonical_url(fetched_url)


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """NFKC, case-folded, punctuation and whitespace collapsed: what 'the same text' means."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


# --- near duplicates: MinHash over word shingles, banded for LSH (pure) ---
# Changing any of these four changes the stored signatures: run `newsarchive dedup --rebuild`.
SHINGLE_WORDS = 5
NUM_PERM = 128
# LSH bands over the first BANDS * ROWS values: a pair with Jaccard 0.5 shares a band with
# probability 1 - (1 - 0.5**3)**20 = 93% (0.4: 73%, 0.6: 99.6%); an unrelated pair (0.01) 0.002%.
BANDS, ROWS = 20, 3
# A truncated copy keeps the opening but shares few shingles with the whole: the bottom-k shingles
# of the opening are extra keys that find it whatever its length.
LEAD_WORDS, LEAD_ANCHORS = 60, 4
_HASH_BYTES = 8


@dataclass(frozen=True)
class Signature:
    """What near-duplicate detection keeps of a text: MinHash values, shingle count, LSH keys."""

    minhash: bytes  # NUM_PERM little-endian uint32
    shingles: int
    keys: tuple[int, ...]  # signed 64-bit: band hashes, then opening anchors

    def hashvalues(self) -> np.ndarray:
        return np.frombuffer(self.minhash, dtype="<u4")


def _shingles(words: list[str]) -> set[bytes]:
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


def _key(*parts: bytes) -> int:
    digest = hashlib.blake2b(b"\x00".join(parts), digest_size=_HASH_BYTES).digest()
    return int.from_bytes(digest, "little", signed=True)


def signature(text: str) -> Signature:
    words = normalise_text(text).split()
    shingles = _shingles(words)
    from datasketch import MinHash  # here: datasketch imports scipy, 0.4 s every command would pay

    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(shingles))
    values = minhash.hashvalues.astype("<u4")
    anchors = sorted(_key(b"lead", shingle) for shingle in _shingles(words[:LEAD_WORDS]))[:LEAD_ANCHORS]
    return Signature(values.tobytes(), len(shingles), tuple(band_keys(values) + anchors))


def band_keys(values: np.ndarray) -> list[int]:
    """LSH: one key per band of ROWS MinHash values; two texts sharing a key are candidates."""
    return [
        _key(b"band", bytes([band]), values[band * ROWS : (band + 1) * ROWS].tobytes())
        for band in range(BANDS)
    ]


@dataclass(frozen=True)
class Likeness:
    jaccard: float  # estimated |A ∩ B| / |A ∪ B|
    containment: float  # estimated |A ∩ B| / min(|A|, |B|): a truncated copy is contained in its original


def likeness(a: Signature, b: Signature) -> Likeness:
    jaccard = np.count_nonzero(a.hashvalues() == b.hashvalues()) / NUM_PERM
    smaller = min(a.shingles, b.shingles)
    if smaller == 0:
        return Likeness(jaccard, 0.0)
    shared = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return Likeness(jaccard, min(1.0, shared / smaller))


@dataclass(frozen=True)
class NearDupThresholds:
    jaccard: float
    containment: float
    min_shingles: int  # a text this short is contained in too many others to call it a copy


def is_near_duplicate(a: Signature, b: Signature, thresholds: NearDupThresholds) -> bool:
    """LSH candidates (a shared key) that the MinHash estimate confirms."""
    return bool(set(a.keys) & set(b.keys)) and confirmed(a, b, thresholds)


def confirmed(a: Signature, b: Signature, thresholds: NearDupThresholds) -> bool:
    """Whether the MinHash estimate confirms an LSH candidate as a copy."""
    found = likeness(a, b)
    if found.jaccard >= thresholds.jaccard:
        return True
    return (
        min(a.shingles, b.shingles) >= thresholds.min_shingles and found.containment >= thresholds.containment
    )


@dataclass(frozen=True)
class Features:
    """What dedup needs of an article, computed with the other pure stages (in a worker process)."""

    signature: Signature
    fingerprint: Fingerprint


def features(title: str | None, text: str, language: str | None) -> Features:
    return Features(signature(text), fingerprint(title, text, language))
