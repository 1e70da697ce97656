"""Deterministic, realistic article texts in pt, fr, en and es.

Used where real pages cannot be: the offline demo site, database tests and benchmarks at
100k+ articles. Stories combine real actors, amounts and places the way AI-infrastructure
news does; off-topic stories (phones, games, recipes) are the classifier's negatives.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import permutations

BUYERS = ["OpenAI", "Microsoft", "Meta", "xAI", "Anthropic", "Google", "Amazon", "Mistral AI"]
SELLERS = ["Oracle", "CoreWeave", "Nvidia", "AMD", "AWS", "Azure", "Nebius", "Equinix"]
CHIPS = ["H100", "GB200", "B200", "MI300X", "Trainium", "TPU v5p"]
PLACES = ["Texas", "Virginia", "Ohio", "Lisbon", "Marseille", "Madrid", "São Paulo", "Querétaro"]

RELEVANT = {
    "pt": {
        "titles": [
            "{b} fecha acordo de US$ {n} bilhões com {s} para capacidade de computação",
            "{s} vai construir data center de {g} GW para {b} em {p}",
            "{b} encomenda {k} mil GPUs {c} para novo cluster de treinamento",
        ],
        "sentences": [
            "A {b} assinou um contrato de US$ {n} bilhões com a {s} para ampliar sua capacidade de "
            "computação em nuvem.",
            "O acordo prevê a construção de um data center de {g} gigawatts em {p}, com entrega "
            "prevista para {y}.",
            "Segundo a empresa, o cluster terá {k} mil GPUs {c} dedicadas ao treinamento e à "
            "inferência de modelos de IA.",
            "A demanda por energia levou a {s} a negociar contratos de longo prazo com usinas "
            "nucleares e solares.",
            "Analistas estimam que os investimentos em infraestrutura de IA superem US$ {n} bilhões até {y}.",
            "Os novos servidores usam refrigeração líquida para dissipar o calor dos chips {c}.",
            "A {b} depende cada vez mais de parceiros como a {s} para suprir sua necessidade de computação.",
            "O projeto inclui subestações próprias e uma linha de transmissão dedicada ao campus de {p}.",
        ],
    },
    "fr": {
        "titles": [
            "{b} signe un accord de {n} milliards de dollars avec {s} pour sa capacité de calcul",
            "{s} va construire un centre de données de {g} GW pour {b} à {p}",
            "{b} commande {k} 000 GPU {c} pour un nouveau cluster d'entraînement",
        ],
        "sentences": [
            "{b} a signé un contrat de {n} milliards de dollars avec {s} pour augmenter sa capacité "
            "de calcul dans le cloud.",
            "L'accord prévoit la construction d'un centre de données de {g} gigawatts à {p}, livré en {y}.",
            "Selon l'entreprise, le cluster comptera {k} 000 GPU {c} consacrés à l'entraînement et "
            "à l'inférence des modèles d'IA.",
            "La demande d'électricité pousse {s} à négocier des contrats de long terme avec des "
            "centrales nucléaires.",
            "Les analystes estiment que les investissements dans l'infrastructure d'IA dépasseront "
            "{n} milliards de dollars d'ici {y}.",
            "Les nouveaux serveurs utilisent un refroidissement liquide pour dissiper la chaleur "
            "des puces {c}.",
            "{b} dépend de plus en plus de partenaires comme {s} pour ses besoins en calcul.",
            "Le projet comprend des postes électriques dédiés et une ligne à haute tension pour le "
            "campus de {p}.",
        ],
    },
    "en": {
        "titles": [
            "{b} signs ${n} billion compute deal with {s}",
            "{s} to build {g} GW data center for {b} in {p}",
            "{b} orders {k},000 {c} GPUs for new training cluster",
        ],
        "sentences": [
            "{b} signed a ${n} billion contract with {s} to expand its cloud computing capacity.",
            "The agreement covers a {g} gigawatt data center campus in {p}, due to come online in {y}.",
            "According to the company, the cluster will hold {k},000 {c} GPUs for training and "
            "inference of AI models.",
            "Power demand has pushed {s} to sign long-term supply deals with nuclear and solar plants.",
            "Analysts expect spending on AI infrastructure to exceed ${n} billion by {y}.",
            "The new servers rely on liquid cooling to remove the heat of the {c} chips.",
            "{b} increasingly depends on partners such as {s} for its compute needs.",
            "The project includes dedicated substations and a transmission line for the {p} campus.",
        ],
    },
    "es": {
        "titles": [
            "{b} firma un acuerdo de {n} mil millones de dólares con {s} para capacidad de cómputo",
            "{s} construirá un centro de datos de {g} GW para {b} en {p}",
            "{b} encarga {k} mil GPU {c} para un nuevo clúster de entrenamiento",
        ],
        "sentences": [
            "{b} firmó un contrato de {n} mil millones de dólares con {s} para ampliar su capacidad "
            "de cómputo en la nube.",
            "El acuerdo prevé un centro de datos de {g} gigavatios en {p}, que entrará en servicio en {y}.",
            "Según la empresa, el clúster tendrá {k} mil GPU {c} dedicadas al entrenamiento y la "
            "inferencia de modelos de IA.",
            "La demanda de energía llevó a {s} a negociar contratos a largo plazo con centrales nucleares.",
            "Los analistas calculan que la inversión en infraestructura de IA superará los {n} mil "
            "millones de dólares en {y}.",
            "Los nuevos servidores usan refrigeración líquida para disipar el calor de los chips {c}.",
            "{b} depende cada vez más de socios como {s} para cubrir su demanda de cómputo.",
            "El proyecto incluye subestaciones propias y una línea de transmisión para el campus de {p}.",
        ],
    },
}

OFF_TOPIC = {
    "pt": {
        "titles": [
            "Review: {phone} tem a melhor câmera do ano",
            "Receita de bolo de cenoura fofinho em {k} minutos",
        ],
        "sentences": [
            "O {phone} chega às lojas com tela de 6,7 polegadas e bateria de {k} mAh.",
            "O novo jogo de corrida ganhou modo cooperativo e {k} pistas inéditas.",
            "Misture os ovos, o açúcar e a cenoura no liquidificador por {k} minutos.",
            "O aplicativo ganhou um assistente que resume conversas e sugere respostas.",
        ],
    },
    "fr": {
        "titles": [
            "Test : le {phone} a le meilleur appareil photo de l'année",
            "Recette du gâteau au chocolat en {k} minutes",
        ],
        "sentences": [
            "Le {phone} arrive en magasin avec un écran de 6,7 pouces et une batterie de {k} mAh.",
            "Le nouveau jeu de course propose un mode coopératif et {k} circuits inédits.",
            "Mélangez les œufs, le sucre et le chocolat pendant {k} minutes.",
            "L'application reçoit un assistant qui résume les conversations.",
        ],
    },
    "en": {
        "titles": [
            "Review: the {phone} has the best camera of the year",
            "Easy carrot cake recipe ready in {k} minutes",
        ],
        "sentences": [
            "The {phone} ships with a 6.7-inch screen and a {k} mAh battery.",
            "The new racing game adds a co-op mode and {k} new tracks.",
            "Whisk the eggs, sugar and grated carrots for {k} minutes.",
            "The chat app gained an assistant that summarises conversations.",
        ],
    },
    "es": {
        "titles": [
            "Análisis: el {phone} tiene la mejor cámara del año",
            "Receta de bizcocho de zanahoria en {k} minutos",
        ],
        "sentences": [
            "El {phone} llega a las tiendas con pantalla de 6,7 pulgadas y batería de {k} mAh.",
            "El nuevo juego de carreras estrena modo cooperativo y {k} circuitos.",
            "Bate los huevos, el azúcar y la zanahoria durante {k} minutos.",
            "La aplicación de mensajería incorpora un asistente que resume chats.",
        ],
    },
}
# Sentences of its language's pool one article uses: half of the 8 on-topic ones, 3 of the 4 off-topic ones.
SENTENCES_PER_ARTICLE = {8: 4, 4: 3}
# A sentence of its own in every paragraph: people, places and counts that no other article shares.
QUOTES = {
    "pt": "{first} {last}, {role}, citou {q1} clientes em {city} e {q2} projetos previstos para {month}.",
    "fr": "{first} {last}, {role}, a cité {q1} clients à {city} et {q2} projets prévus pour {month}.",
    "en": "{first} {last}, {role}, cited {q1} customers in {city} and {q2} projects planned for {month}.",
    "es": "{first} {last}, {role}, citó {q1} clientes en {city} y {q2} proyectos previstos para {month}.",
}
FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Camille",
    "Diego",
    "Elena",
    "Fatima",
    "Gabriel",
    "Hana",
    "Igor",
    "Julia",
    "Karim",
    "Lucia",
    "Marc",
    "Nadia",
    "Omar",
    "Paula",
    "Rafael",
    "Sofia",
    "Tomas",
    "Yuki",
]
LAST_NAMES = [
    "Almeida",
    "Bernard",
    "Castro",
    "Dubois",
    "Esteves",
    "Fontaine",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Klein",
    "Lopes",
    "Moreau",
    "Navarro",
    "Okafor",
    "Pereira",
    "Quintana",
    "Rossi",
    "Silva",
    "Tanaka",
]
ROLES = ["CFO", "CTO", "COO", "VP", "EVP", "SVP"]
CITIES = [
    "Campinas",
    "Lyon",
    "Austin",
    "Sevilla",
    "Recife",
    "Nantes",
    "Denver",
    "Bilbao",
    "Curitiba",
    "Lille",
    "Phoenix",
    "Valencia",
    "Fortaleza",
    "Toulouse",
    "Atlanta",
    "Málaga",
]
MONTHS = [
    "01/2026",
    "02/2026",
    "03/2026",
    "04/2026",
    "05/2026",
    "06/2026",
    "07/2026",
    "08/2026",
    "09/2026",
    "10/2026",
    "11/2026",
    "12/2026",
]
PHONES = ["Galaxy S25", "iPhone 17", "Pixel 10", "Moto G85"]
LANGUAGES = tuple(RELEVANT)
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SyntheticArticle:
    number: int
    language: str
    relevant: bool
    title: str
    text: str
    published_at: datetime
    slug: str


def article(
    number: int, *, language: str | None = None, relevant: bool | None = None, paragraphs: int = 8
) -> SyntheticArticle:
    """The `number`th synthetic article: the same inputs always give the same article."""
    rng = random.Random(number)
    language = language or LANGUAGES[number % len(LANGUAGES)]
    relevant = (number % 5 != 0) if relevant is None else relevant
    facts = {
        "b": rng.choice(BUYERS),
        "s": rng.choice(SELLERS),
        "c": rng.choice(CHIPS),
        "p": rng.choice(PLACES),
        "n": rng.randint(2, 120),
        "g": rng.randint(1, 5),
        "k": rng.randint(10, 400),
        "y": rng.randint(2025, 2030),
        "phone": rng.choice(PHONES),
    }
    pool = (RELEVANT if relevant else OFF_TOPIC)[language]
    title = rng.choice(pool["titles"]).format(**facts)
    # Each article tells its own half of the sentences, so that two articles share no more text
    # than two real ones do (the dedup stage must not see them as copies); paragraphs are
    # distinct, as in real articles (extractors drop repeated ones).
    chosen = rng.sample(range(len(pool["sentences"])), SENTENCES_PER_ARTICLE.get(len(pool["sentences"]), 3))
    orderings = list(permutations(chosen, 3))
    rng.shuffle(orderings)
    body = [
        " ".join([*(pool["sentences"][i].format(**facts) for i in order), _quote(rng, language)])
        for order in orderings[:paragraphs]
    ]
    published = EPOCH + timedelta(minutes=37 * number + rng.randint(0, 30))
    slug = f"{slugify(title)[:60].rstrip('-')}-{number}"
    return SyntheticArticle(number, language, relevant, title, "\n".join(body), published, slug)


def _quote(rng: random.Random, language: str) -> str:
    return QUOTES[language].format(
        first=rng.choice(FIRST_NAMES),
        last=rng.choice(LAST_NAMES),
        role=rng.choice(ROLES),
        q1=rng.randint(11, 99),
        city=rng.choice(CITIES),
        q2=rng.randint(11, 99),
        month=rng.choice(MONTHS),
    )


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
