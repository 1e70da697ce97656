"""The Scrapy components around the spider (middlewares, pipeline, extensions), wired in settings.py."""
