"""Rejoinder: the comment section for every page on the web."""

__version__ = "0.1.0"
