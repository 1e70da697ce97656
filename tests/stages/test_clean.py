"""Boilerplate removal (crawler/stages/clean.py), on the seeds and on rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.seed_pages import SEED_BOILERPLATE, seed_files
from crawler.stages.clean import clean

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_text_cleaned_as_it_stands(seed: Path):
    raw = seed.read_text(encoding="utf-8")
    boilerplate = set(SEED_BOILERPLATE[seed.name[:3]])
    cleaned = clean(raw)
    out_lines = set(cleaned.text.split("\n"))
    for line in raw.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in boilerplate:
            assert stripped not in out_lines, f"boilerplate kept: {stripped!r}"
        else:
            # content survives (at most shorn of markup debris such as `Strong>` or a `date 2024-06` label)
            assert any(stripped[20:80] in out for out in out_lines), f"content lost: {stripped[:80]!r}"


def test_seed_004_credit_becomes_source_url():
    cleaned = clean((SHARED / "seeds").glob("004_*.txt").__next__().read_text(encoding="utf-8"))
    assert (
        cleaned.source_url
        == "https://olhardigital.com.br/2024/07/10/pro/xai-e-oracle-negociacoes-de-us-10-bilhoes-chegam-ao-fim/"
    )


def test_first_line_equal_to_title_is_dropped_not_later_mentions():
    text = "Oracle fecha acordo\nA Oracle fecha acordo com a OpenAI.\nOracle fecha acordo"
    assert (
        clean(text, title="Oracle fecha acordo").text
        == "A Oracle fecha acordo com a OpenAI.\nOracle fecha acordo"
    )


def test_article_sentences_mentioning_boilerplate_words_survive():
    text = (
        "A publicidade digital financia o jornalismo.\n"
        "Leia também o relatório completo da Oracle, publicado ontem com detalhes sobre capacidade."
    )
    assert clean(text).text == text


def test_no_rule_edits_inside_a_sentence():
    text = (
        "The ratio was all P>.17 in the test, with <b> tags and 3 > 2.\nStrong>Leia mais sobre isso aqui.\n"
    )
    cleaned = clean(text).text.split("\n")
    assert cleaned[0] == "The ratio was all P>.17 in the test, with <b> tags and 3 > 2."
    assert cleaned[1] == "Leia mais sobre isso aqui."  # debris at the line's start goes


def test_a_read_also_box_goes_but_inline_read_more_lines_and_prose_stay():
    """Boxes go: a bare heading and the list of links under it. Inline "Read more: <headline>" lines
    stay, as real-world gold keeps them (readability's and newspaper4k's tests), and so does prose
    that starts with "Related:"."""
    prose = "Related: the company said on Monday that it would build three plants in Texas."
    text = (
        f"First paragraph of the story.\nRead more: Nvidia stock jumps after the deal\n{prose}\n"
        "Leia também\n- Outra notícia\n- Mais uma\nRead more:\nTunisia sends most foreign fighters\n"
        "Last paragraph.\nLeia também:\n"
    )
    kept = clean(text).text.split("\n")
    assert prose in kept and "Read more: Nvidia stock jumps after the deal" in kept
    assert "Leia também" not in kept and "- Outra notícia" not in kept and "- Mais uma" not in kept
    assert "Read more:" not in kept and "Tunisia sends most foreign fighters" in kept
    assert kept[-1] == "Last paragraph."


def test_wire_credits_stay_and_syndication_credits_go():
    wire = "Source: Reuters (Reporting by Jane Doe; Editing by Bob Roe)"
    text = f"Body of the wire story.\n{wire}\nFonte: https://original.test/a-story/"
    cleaned = clean(text)
    assert wire in cleaned.text.split("\n") and "Fonte:" not in cleaned.text
    assert cleaned.source_url == "https://original.test/a-story/"


def test_a_first_line_equal_to_the_title_goes_only_above_a_body():
    assert clean("Oracle builds\nThe body follows here.", "Oracle builds").text == "The body follows here."
    assert clean("Oracle builds", "Oracle builds").text == "Oracle builds"
