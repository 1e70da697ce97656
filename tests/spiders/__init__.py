"""Tests of spiders."""
