"""Only for Scrapyd: `scrapyd-deploy` builds the project's egg through `python setup.py`.
Everything else about the package is in pyproject.toml."""

from setuptools import setup

setup()
