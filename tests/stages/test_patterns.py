"""Learning an article URL pattern from real outlets' article URLs (crawler/stages/patterns.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from crawler.stages.patterns import propose_pattern, wanted

REAL = tomllib.loads((Path(__file__).resolve().parents[1] / "fixtures" / "outlet_urls.toml").read_text())


def test_a_dated_wordpress_shape():
    urls = [
        "https://olhardigital.com.br/2025/06/07/pro/nvidia-vai-construir-data-center/",
        "https://olhardigital.com.br/2025/06/08/ciencia-e-espaco/foguete-decola/",
        "https://olhardigital.com.br/2025/06/09/pro/oracle-e-openai/",
        "https://olhardigital.com.br/categoria/pro/",
    ]
    pattern, share = propose_pattern(urls)
    assert pattern == r"^https://olhardigital\.com\.br/\d{4}/\d{2}/\d{2}/[\w%-]+/[\w%-]+/?$"
    assert share == 0.75 and not re.search(pattern, urls[-1])


def test_a_fixed_section_stays_literal_and_an_id_suffix_is_kept():
    urls = [
        f"https://www.lemondeinformatique.fr/actualites/lire-story-{n}-{90000 + n}.html" for n in range(5)
    ]
    pattern, share = propose_pattern(urls)
    assert (
        pattern == r"^https://www\.lemondeinformatique\.fr/actualites/[\w%.-]+-\d+\.html/?$" and share == 1.0
    )


@pytest.mark.parametrize("slug", ["olhardigital", "lemagit", "datacenterknowledge", "xataka"])
def test_the_pattern_learnt_from_real_article_urls_accepts_them_and_rejects_the_rest(slug):
    accept, reject = REAL[slug]["accept"], REAL[slug]["reject"]
    pattern, share = propose_pattern(accept)
    assert share >= 0.5 and sum(wanted(url, pattern) for url in accept) >= len(accept) / 2
    assert not any(wanted(url, pattern) for url in reject)


def test_links_of_no_common_shape_give_no_pattern():
    mixed = [
        "https://a.test/x/",
        "https://a.test/1/2/3/4",
        "https://a.test/a.html",
        "https://a.test/b/c-1234/d/",
    ]
    assert propose_pattern(mixed) is None
    assert propose_pattern([]) is None
