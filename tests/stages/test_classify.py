"""Language and relevance (crawler/stages/classify.py)."""

from __future__ import annotations

import re

import pytest

from bench.seed_pages import seed_files
from crawler.stages.classify import detect_language, load_lexicon, relevance

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


def test_crypto_mining_written_as_one_word_counts_against_a_passing_ai_mention():
    hosting = (
        "La empresa aloja criptominería y también ofrece sus naves a centros de datos de inteligencia "
        "artificial, junto a la represa, con 300 megavatios."
    )
    mining = relevance("Crece la criptominería en el país", hosting, "es", 0.5)
    computing = relevance(
        "Crece la computación en el país", hosting.replace("criptominería", "computación"), "es", 0.5
    )
    assert mining.score < computing.score and not mining.is_relevant
    pivot = (
        "Las criptomineras convierten sus granjas en centros de datos de IA: una firmó con CoreWeave para "
        "alojar 20.000 GPU de Nvidia, y sus 500 megavatios valen más para la computación de IA."
    )
    assert relevance("Criptomineras se pasan a la inteligencia artificial", pivot, "es", 0.5).is_relevant


def test_a_chatbot_app_that_names_a_data_center_once_stays_a_consumer_story():
    app = (
        "L'assistant de la start-up arrive sur Android et iOS; il répond en français et cite ses sources. "
        "L'entreprise, championne de l'intelligence artificielle, a aussi annoncé un centre de données en "
        "France pour l'intelligence artificielle."
    )
    assert not relevance("Le nouvel assistant arrive sur Android et iOS", app, "fr", 0.5).is_relevant


def test_a_project_name_counts_only_beside_other_evidence():
    series = "Amazon is developing a new Stargate series; the franchise began with the 1994 film and SG-1."
    assert relevance("A new Stargate series", series, "en", 0.5).score == 0
    site = "OpenAI and Oracle will build a new Stargate site in Michigan, adding more than a gigawatt."
    deal = relevance("OpenAI expands Stargate", site, "en", 0.5)
    assert deal.is_relevant and deal.terms[0] == "stargate"
    business = "El cluster turístico de Alicante agrupa hoteles y agencias de viajes de la costa."
    assert relevance("Crece el cluster turístico", business, "es", 0.5).score == 0


def test_a_supercomputer_counts_only_in_an_article_about_ai():
    weather = (
        "The Met Office's new supercomputer runs weather forecasts at 60 quadrillion calculations a second."
    )
    assert relevance("Met Office switches on new supercomputer", weather, "en", 0.5).score == 0
    for_ai = "O LNCC ampliou o supercomputador Santos Dumont para pesquisas em inteligência artificial."
    expanded = relevance("Supercomputador Santos Dumont ganha expansão para IA", for_ai, "pt", 0.5)
    assert expanded.is_relevant and expanded.terms[0] == "supercomputador"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[subject.en]\n"gpu" = 2\n[against.en]\n"GPU" = 1\n',
            "'gpu' (en) is in more than one group: against, subject",
        ),
        (
            '[subject.any]\n"gpu" = 2\n[context.fr]\n"gpu" = 1\n',
            "'gpu' (fr) is in more than one group: context, subject",
        ),
        ('[agianst.en]\n"gamers" = 3\n', "unknown group agianst"),
    ],
)
def test_a_lexicon_that_would_silently_mean_something_else_is_refused(tmp_path, toml, message):
    path = tmp_path / "lexicon.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_lexicon(str(path))
