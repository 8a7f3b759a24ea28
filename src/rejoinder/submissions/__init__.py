"""Shared links: readers submit a page to the front page, vote on it, and rank it."""
