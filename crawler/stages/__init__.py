"""The pipeline's pure stages, in order: discover -> extract -> clean -> classify -> dedup (html in, data out)."""
