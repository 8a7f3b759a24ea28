"""Atom feeds of discussions, people, the front page and a reader's replies."""
