"""Language and relevance (crawler/stages/classify.py)."""

from __future__ import annotations

from bench.seed_pages import seed_files
from crawler.stages.classify import detect_language, relevance

from ..conftest import SHARED

SEEDS = seed_files()

FEEDS = SHARED / "corpus" / "feeds"
SITEMAPS = SHARED / "corpus" / "sitemaps"


def test_language_with_page_hint_for_short_text():
    assert (
        detect_language(
            "A Oracle vai construir um novo data center no Brasil com capacidade de 200 megawatts "
            "para a OpenAI e outros clientes de nuvem."
        )
        == "pt"
    )
    assert detect_language("OpenAI e Oracle", page_language="pt") == "pt"


def test_relevance_weights_title_and_ignores_passing_mentions():
    passing = relevance("Review: Galaxy S25", "A câmera é ótima. A Oracle patrocina o evento.", "pt", 0.5)
    assert not passing.is_relevant and passing.score == 0 and passing.terms == []
    infra = relevance(
        "Oracle vai construir data center de 1 GW", "O centro de dados terá GPUs H100.", "pt", 0.5
    )
    assert infra.is_relevant and infra.terms[0] == "data center" and "oracle" in infra.terms
    assert relevance(None, "O centro de dados terá GPUs H100.", "pt", 0.5).score < infra.score


def test_context_strengthens_a_subject_but_never_makes_one():
    energy_alone = (
        "A usina nuclear vai gerar 1.400 megawatts de eletricidade a partir de 2031, com reatores novos."
    )
    assert relevance("Governo retoma obras de usina nuclear", energy_alone, "pt", 0.5).score == 0
    for_data_centers = energy_alone + " Toda a energia vai abastecer os data centers da Microsoft."
    assert relevance("Microsoft compra energia de usina nuclear", for_data_centers, "pt", 0.5).is_relevant
    subject_only = relevance(None, "Toda a energia vai abastecer os data centers da Microsoft.", "pt", 0.5)
    assert relevance(None, for_data_centers, "pt", 0.5).score > subject_only.score


def test_consumer_cues_outweigh_gpu_words():
    gaming = (
        "A Nvidia lançou a GeForce RTX 5090, GPU para gamers com DLSS 4, que gera quadros com IA em jogos. "
        "A placa de vídeo custa US$ 1.999."
    )
    assert not relevance("Nvidia lança GeForce RTX 5090 para gamers", gaming, "pt", 0.5).is_relevant


def test_a_long_piece_on_another_beat_is_not_relevant_for_one_mention():
    mention = "The company also runs two data centers with servers in Ohio."
    short = relevance(None, mention, "en", 0.5).score
    long_text = (
        " ".join(["The city council debated the new budget for schools, parks and roads."] * 120)
        + " "
        + mention
    )
    assert relevance(None, long_text, "en", 0.5).score < short
