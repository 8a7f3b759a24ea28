"""Exports of discussions: Rejoinder's own JSON Lines, W3C Web Annotations, and CSV."""
