"""One page through the stages (crawler/stages/process.py): the length every script is measured by."""

from __future__ import annotations

from crawler.stages.process import word_count


def test_words_are_counted_in_scripts_without_spaces():
    chinese = "英伟达将在德克萨斯州建设一个新的数据中心，用于训练人工智能模型。" * 80  # 2,560 characters
    assert len(chinese.split()) == 1 and word_count(chinese) >= 1000
    assert word_count("日本語のテキスト and English words") == 3 + len("日本語のテキスト") // 2
    assert word_count("plain English text of six words") == 6
