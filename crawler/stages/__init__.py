"""The pipeline's pure stages (html in, data out): discover, extract, clean, classify, dedup."""
