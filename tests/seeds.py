"""The five seed records and, for each, the lines that are boilerplate as they stand."""

from __future__ import annotations

from .conftest import SHARED

SEEDS = sorted((SHARED / "seeds").glob("*.txt"))

# Each seed's boilerplate lines, as they stand in the file (whole lines).
SEED_BOILERPLATE = {
    "000": ["PUBLICIDADE", "Leia também:"],
    "001": [],
    "002": [],
    "003": ["Pular para o conteúdo", "Banner Aleatório", "Passatempopassatempo",
            "Amazon quer comprar parte do ChatGPT ainda este anoAmazon quer comprar parte do ChatGPT ainda este ano",
            "Fonte: Andro4All", "Source link", "Join the conversation",
            "O seu endereço de e-mail não será publicado. Campos obrigatórios são marcados com *"],
    "004": ["Leia mais:", "- Inteligência artificial: conheça os pontos negativos e perigos da IA",
            "- Microsoft Copilot: o que é e como usar inteligência artificial?",
            "- xAI: Musk nega investimentos abaixo do esperado na empresa de IA",
            "O post xAI e Oracle: negociações de US$ 10 bilhões chegam ao fim apareceu primeiro em Olhar Digital.",
            "Fonte: https://olhardigital.com.br/2024/07/10/pro/xai-e-oracle-negociacoes-de-us-10-bilhoes-chegam-ao-fim/"],
}
